/**
 * The annotation that makes server-side apply take over fields another field manager changed:
 * every object this program applies is its own, so a hand edit (`kubectl label --overwrite`,
 * `kubectl edit`) is drift the next `pulumi up` overwrites instead of a field conflict that stops
 * the preview and the drift check. Per object, because it works with every provider version (the
 * provider option `enablePatchForce` is set too, but the provider built for the e2e ignores it).
 * Never put it on objects other tools also manage (a chart's ServiceAccount).
 */
export const FORCE_APPLY_ANNOTATIONS: Readonly<Record<string, string>> = { "pulumi.com/patchForce": "true" };
