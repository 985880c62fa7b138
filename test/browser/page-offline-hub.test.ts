// The page with the Hugging Face Hub out of reach (openApp refuses every request to it): the
// model offer says so and names the bundled model, rather than offer a download that cannot
// start, and still lets the user try; a run of a Hub model that fails for want of the Hub names
// the bundled model, as the CLI does, with a button that chooses it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelControls, openApp, runFromForm, type OpenApp } from '../helpers/app.ts';
import { TINY_MODEL } from '../helpers/paths.ts';

const REAL = 'google/vit-base-patch16-224';
const REAL_WEIGHTS = 'https://huggingface.co/Xenova/vit-base-patch16-224/resolve/main/onnx/model.onnx';

describe('the page without the Hub', () => {
  let app: OpenApp;

  beforeAll(async () => {
    app = await openApp({ modelDir: TINY_MODEL });
  });

  afterAll(async () => {
    await app?.close();
  });

  const { page, offer, model, reload } = modelControls(() => app);

  it('says the Hub cannot be reached and the bundled model runs offline, and lets the user try anyway', async () => {
    await expect.poll(() => offer().getAttribute('data-hub'), { timeout: 10_000 }).toBe('unreachable');
    await expect(model().inputValue()).resolves.toBe('tench-tiny-vit');
    const text = (await offer().textContent())!;
    expect(text).toBe('The Hugging Face Hub (huggingface.co) cannot be reached from here, so ViT-B/16 cannot be downloaded: the bundled demo model runs offline '
      + '(random weights: its labels mean nothing). Try ViT-B/16 anyway (it runs if this browser kept it from an earlier download).');

    await offer().getByRole('button', { name: 'Try ViT-B/16 anyway' }).click();
    await expect(model().inputValue()).resolves.toBe(REAL);
    const chosen = (await offer().textContent())!;
    expect(chosen).toMatch(/^ViT-B\/16 comes from the Hugging Face Hub \(huggingface\.co\), which cannot be reached from here: it runs only if this browser kept it from an earlier download\. Use the bundled demo model to run offline/);
    expect(chosen).not.toContain('a download of');
    await offer().getByRole('button', { name: 'Use the bundled demo model' }).click();
    await expect(model().inputValue()).resolves.toBe('tench-tiny-vit');
  });

  it('names the bundled model when a run fails for want of the Hub, with a button that chooses it', async () => {
    const run = await runFromForm(page(), REAL);
    expect(run.state).toBe('failed');
    expect(run.error).toContain('cannot reach https://huggingface.co/');
    const message = page().locator('p.message');
    await expect(message.getAttribute('class')).resolves.toContain('error');
    const text = (await message.textContent())!;
    expect(text).toContain(`Run ${run.id}: failed (model ${REAL}`);
    expect(text).toMatch(/ · without a network, the bundled demo model runs \(random weights: its labels mean nothing\): choose tench-tiny-vit$/);
    await message.getByRole('button', { name: 'choose tench-tiny-vit' }).click();
    await expect(model().inputValue()).resolves.toBe('tench-tiny-vit');
    // Chosen as if typed: kept across a reload.
    await reload();
    await expect(model().inputValue()).resolves.toBe('tench-tiny-vit');
  });

  it('offers the download with its estimated size while the Hub has not answered, then the size it gives', async () => {
    const size = 346_351_599;
    await page().route(REAL_WEIGHTS, async (route) => {
      await new Promise((r) => setTimeout(r, 2000));
      await route.fulfill({ status: 200, headers: { 'content-length': String(size), 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-length' }, body: '' }).catch(() => {});
    });
    try {
      await reload();
      await expect(offer().getAttribute('data-hub')).resolves.toBe('unknown');
      // The weights' count times their width: ViT-B/16 has 86.6 million, at 4 bytes or 2.
      await expect(offer().textContent()).resolves.toContain(`a download of about ${Math.round((86.6e6 * 4) / 1e6)} MB the first time`);
      const precision = page().getByLabel('Precision', { exact: true });
      await precision.selectOption('fp16');
      await expect(offer().textContent()).resolves.toContain(`a download of about ${Math.round((86.6e6 * 2) / 1e6)} MB the first time`);
      await precision.selectOption('fp32');
      await expect.poll(() => offer().getAttribute('data-hub'), { timeout: 10_000 }).toBe('reached');
      await expect(offer().textContent()).resolves.toContain('a download of 346 MB the first time');
    } finally {
      await page().unroute(REAL_WEIGHTS);
    }
  });
});
