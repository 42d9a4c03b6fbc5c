/**
 * A random id for a clientId, a session, a hub instance or a leader: a UUID where `crypto.randomUUID`
 * exists (every secure context), else time and randomness, unique enough for ids that are never secrets.
 */
export function randomId(): string {
  return typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}
