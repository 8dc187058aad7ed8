import uWS from 'uWebSockets.js';

export class NativeBinaryMissingError extends Error {
  constructor() {
    super(
      'uWebSockets.js did not load its native binary and fell back to a slow JavaScript shim. ' +
        `The fast service refuses to run degraded. This build ships binaries for Node 16/18/20 on linux/darwin/win32 ` +
        `(this is Node ${process.versions.node}, ABI ${process.versions.modules}, ${process.platform}/${process.arch}); ` +
        'use a supported Node version and make sure UWS_USE_FALLBACK is not set.',
    );
    this.name = 'NativeBinaryMissingError';
  }
}

/** True when `uWS.App` is the C++ binding, not the `ws`-based fallback the package silently substitutes. */
export function uwsIsNative(module: typeof uWS = uWS): boolean {
  return (
    typeof module.App === 'function' && /\[native code\]/.test(Function.prototype.toString.call(module.App))
  );
}

export function assertNativeUws(module: typeof uWS = uWS): void {
  if (!uwsIsNative(module)) throw new NativeBinaryMissingError();
}
