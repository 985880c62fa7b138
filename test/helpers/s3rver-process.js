// Runs s3rver in its own process. Its ListObjectsV2 continuation tokens use DES, which Node 20
// only has with --openssl-legacy-provider; that flag stays confined to this process.
// Usage: node --openssl-legacy-provider s3rver-process.js '<json options>'
import S3rver from '@20minutes/s3rver';

const options = JSON.parse(process.argv[2] ?? '{}');
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, ...options });
const address = await server.run();
process.stdout.write(`READY ${address.port}\n`);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
