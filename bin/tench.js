#!/usr/bin/env node
// The tench command. The CLI is TypeScript; tsx runs it without a build step, so `npx tench`
// works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
