import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { TokenReviewer } from "../kubernetes/TokenReviewer";
import { requireProvider } from "../requireProvider";
import { registryReadPolicy } from "./policies";
import type { MountInfo } from "./inventory";

/** Arguments of {@link VaultPlatform}. */
export interface VaultPlatformArgs {
    /** KV v2 mount path, e.g. `secret`. */
    kvMount: string;
    /** Create (and own) the KV v2 mount: true for the stack that owns it, false when another stack or the operator does. */
    manageKvMount: boolean;
    /** Prefix under the KV mount, e.g. the GitLab group. */
    pathPrefix: string;
    /** Path of the Kubernetes auth backend, e.g. `kubernetes` or `kubernetes-prod`. */
    kubernetesAuthMount: string;
    /** Kubernetes API address as Vault reaches it, e.g. `https://kubernetes.default.svc` (Vault in the cluster) or `https://api.example.com:6443`. */
    kubernetesHost: string;
    /** Cluster CA (PEM); defaults to the CA handed out with the reviewer token. */
    kubernetesCaCert?: pulumi.Input<string>;
    /** Namespace of the token reviewer ServiceAccount, e.g. `kube-system`. */
    tokenReviewerNamespace: string;
    /**
     * KV path (no mount, no `data/`) of the registry credentials the registry policy reads: this
     * stack's (vault/policies.ts `registrySecretPath`), or a secret that already lives in Vault.
     */
    registrySecretPath: string;
    /** KV v2 mount of the registry credentials when it is not `kvMount` (credentials that already live in Vault). @default kvMount */
    registryKvMount?: string;
    /** Name of this stack's policy that may read the registry credentials, e.g. `registry-read-dev`. */
    registryPolicyName: string;
    /** Name of this stack's token reviewer ServiceAccount (its Secret is `<name>-token`), e.g. `vault-token-reviewer-dev`. */
    tokenReviewerName: string;
    /** Labels on the token reviewer's objects, naming the owning stack. @default {} */
    ownerLabels?: Record<string, string>;
    /** What Vault already has at the KV mount path, if anything: adopted (imported, description kept). @default nothing */
    existingKvMount?: MountInfo;
    /** What Vault already has at the auth path, if anything: adopted (imported, description kept). @default nothing */
    existingAuthMount?: MountInfo;
    /** Description of an auth backend this stack creates (should name the owning stack). @default "Kubernetes auth for gitops-platform" */
    authDescription?: string;
    /** Protect the KV mount and the auth backend against deletion/replacement, e.g. true in production. */
    protect: boolean;
}

/**
 * The shared Vault side of the platform: the KV v2 mount (if owned), the Kubernetes auth backend
 * configured with a token reviewer and the cluster CA, and the policy that may read the registry
 * credentials. Replaces `setup-infrastructure.sh`'s Vault steps. Needs explicit `vault` and
 * `kubernetes` providers in its resource options (`{ providers: { vault, kubernetes } }`); its
 * children inherit them.
 */
export class VaultPlatform extends pulumi.ComponentResource {
    /** KV v2 mount path (resolves after the mount exists when it is managed here). */
    public readonly kvMount: pulumi.Output<string>;
    /** Kubernetes auth backend path (resolves after the backend is configured). */
    public readonly authMount: pulumi.Output<string>;
    /** Name of the registry read policy. */
    public readonly registryPolicyName: pulumi.Output<string>;
    /** KV path (no mount, no `data/`) of the registry credentials. */
    public readonly registrySecretPath: string;
    /** The managed KV mount, when `manageKvMount`. */
    public readonly mount?: vault.Mount;

    constructor(name: string, args: VaultPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops-platform:vault:VaultPlatform", name, {}, opts);
        requireProvider(this, "vault");
        requireProvider(this, "kubernetes");
        const { kvMount, kubernetesAuthMount: authPath, protect } = args;
        const childOpts = { parent: this };

        if (args.manageKvMount) {
            this.mount = new vault.Mount(
                `${name}-kv`,
                {
                    path: kvMount,
                    // `kv` + version 2: Vault reads `kv-v2` back as `kv`, which would force a replacement.
                    type: "kv",
                    options: { version: "2" },
                    // An adopted mount keeps its description: the adoption changes nothing.
                    description: args.existingKvMount?.description ?? "KV v2 secrets managed by gitops-platform",
                },
                // The mount holds every service's secrets (of every stack sharing it): `pulumi destroy`
                // removes it from the state but never deletes the data. A mount that already exists (a
                // dev-mode Vault's secret/, the old scripts', one a destroyed stack left) is imported.
                { ...childOpts, protect, retainOnDelete: true, import: args.existingKvMount ? kvMount : undefined },
            );
        }
        this.kvMount = this.mount ? this.mount.path : pulumi.output(kvMount);

        const reviewer = new TokenReviewer(
            `${name}-token-reviewer`,
            {
                namespace: args.tokenReviewerNamespace,
                serviceAccountName: args.tokenReviewerName,
                clusterRoleBindingName: args.tokenReviewerName,
                labels: args.ownerLabels,
            },
            { parent: this },
        );

        const backend = new vault.AuthBackend(
            `${name}-kubernetes-auth`,
            { type: "kubernetes", path: authPath, description: args.existingAuthMount?.description ?? args.authDescription ?? "Kubernetes auth for gitops-platform" },
            // An auth method the old scripts enabled is imported as it is (the preflight checked its type).
            { ...childOpts, protect, import: args.existingAuthMount ? authPath : undefined },
        );
        const config = new vault.kubernetes.AuthBackendConfig(
            `${name}-kubernetes-auth-config`,
            {
                backend: backend.path,
                kubernetesHost: args.kubernetesHost,
                kubernetesCaCert: args.kubernetesCaCert ?? reviewer.caCert,
                tokenReviewerJwt: reviewer.token,
                disableIssValidation: true,
            },
            childOpts,
        );
        this.authMount = config.backend.apply((b) => b ?? authPath);

        const policy = new vault.Policy(
            `${name}-registry-read`,
            {
                name: args.registryPolicyName,
                policy: (args.registryKvMount !== undefined ? pulumi.output(args.registryKvMount) : this.kvMount).apply((m) =>
                    registryReadPolicy(m, args.registrySecretPath),
                ),
            },
            childOpts,
        );
        this.registryPolicyName = policy.name;
        this.registrySecretPath = args.registrySecretPath;

        this.registerOutputs({
            kvMount: this.kvMount,
            authMount: this.authMount,
            registryPolicyName: this.registryPolicyName,
            registrySecretPath: this.registrySecretPath,
        });
    }
}
