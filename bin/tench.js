#!/usr/bin/env node
// The tench command. The CLI is TypeScript; tsx runs it without a build step, so `npx tench`
// works right after `npm ci`.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every run under Node 20 about its own future releases; tench pins its
// SDK version, so the warning only adds noise to stderr, where tench's one-line errors go.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// A reader that stops early (`tench --help | head -1`) closes the pipe, and Node reports the next
// write as an EPIPE 'error' event, which unheard ends the process with a stack trace. No one is
// left to read the rest: it is dropped, and the command ends as it would have (help and version
// with 0, a run when the run ends: see src/cli/terminal.ts).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
