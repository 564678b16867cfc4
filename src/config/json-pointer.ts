/**
 * A JSON Pointer (RFC 6901, as TypeBox's errors carry them: `#/faults/2/until`) split into its
 * unescaped segments. Shared by the config validator and the lab's scenario validator.
 */
export function pointerSegments(pointer: string): string[] {
  return pointer
    .replace(/^#/, '')
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}
