#!/usr/bin/env node
// The tench command. The CLI is TypeScript; tsx runs it without a build step, so `npx tench`
// works right after `npm ci`.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every run under Node 20 about its own future releases; tench pins its
// SDK version, so the warning only adds noise to stderr, where tench's one-line errors go.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
