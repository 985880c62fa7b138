import { describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, extraArgs, mergeFeatureFlags } from '../../src/cli/browser.ts';

describe('mergeFeatureFlags', () => {
  it('keeps WebNN switched on when $TENCH_CHROMIUM_ARGS enables features of its own', () => {
    const args = mergeFeatureFlags([...CHROMIUM_ARGS, ...extraArgs('--enable-features=Vulkan --use-vulkan=native --disable-features=Foo')]);
    expect(args.filter((a) => a.startsWith('--enable-features='))).toEqual(['--enable-features=WebMachineLearningNeuralNetwork,Vulkan']);
    expect(args).toContain('--disable-features=Foo');
    expect(args).toContain('--use-vulkan=native');
    expect(args.indexOf('--enable-unsafe-webgpu')).toBe(CHROMIUM_ARGS.indexOf('--enable-unsafe-webgpu'));
  });

  it('leaves flags without features as they are', () => {
    expect(mergeFeatureFlags(['--no-first-run', '--enable-features=A,B', '--enable-features=B'])).toEqual(['--no-first-run', '--enable-features=A,B']);
  });
});
