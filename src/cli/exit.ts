// The CLI's exit statuses: what a script or a Kubernetes Job's podFailurePolicy reads.

/** 2 is a usage error (a bad flag or path): running again cannot help. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, cancelled: 130 });
