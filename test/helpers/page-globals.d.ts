// The tests hand functions to the page that reach window.tench: the page's protocol, as the page
// itself declares it (src/ui/automation.ts).
import type { PageGlobals } from '../../src/page-protocol.ts';

declare global {
  interface Window extends PageGlobals {}
}
