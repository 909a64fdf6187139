/** Type tokens of the resources the pack's policies look at. */

/** `vault.Policy` (input `policy`: the HCL document). */
export const VAULT_POLICY = "vault:index/policy:Policy";
/** `vault.Mount` (the program's KV v2 mount). */
export const VAULT_MOUNT = "vault:index/mount:Mount";
/** `vault.AuthBackend` (the program's Kubernetes auth backend). */
export const VAULT_AUTH_BACKEND = "vault:index/authBackend:AuthBackend";
/** `kubernetes.core.v1.Namespace`. */
export const NAMESPACE = "kubernetes:core/v1:Namespace";
/** `kubernetes.core.v1.ConfigMap`. */
export const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
/** The root resource of every stack; its outputs are the stack outputs. */
export const STACK = "pulumi:pulumi:Stack";
/** The component that creates each environment's Vault policy and role (components/vault/EnvironmentAccess.ts). */
export const ENVIRONMENT_ACCESS = "gitops-platform:vault:EnvironmentAccess";
/** The component that creates a writer's Vault policy and role (components/vault/VaultWriter.ts). */
export const VAULT_WRITER = "gitops-platform:vault:VaultWriter";
