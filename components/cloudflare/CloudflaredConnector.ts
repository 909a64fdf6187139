import * as pulumi from "@pulumi/pulumi";
import { kubernetesVaultAuth } from "../vso/vaultAuth";
import * as k8s from "@pulumi/kubernetes";
import { FORCE_APPLY_ANNOTATIONS } from "../kubernetes/forceApply";
import { requireProvider } from "../requireProvider";
import { CLOUDFLARED_METRICS_PORT, CLOUDFLARED_NAME, TUNNEL_TOKEN_KEY, TUNNEL_TOKEN_SECRET } from "./names";

/** Annotation on the synced token Secret holding the KV version it was synced from. */
export const TUNNEL_TOKEN_VERSION_ANNOTATION = "gitops-platform/tunnel-token-kv-version";

/** UID/GID of the `nonroot` user of cloudflared's distroless image. */
export const CLOUDFLARED_UID = 65532;

/** Arguments of {@link CloudflaredConnector}. */
export interface CloudflaredConnectorArgs {
    /** Namespace of the connector, e.g. `poc-cloudflared`. */
    namespace: string;
    /** Pinned cloudflared image, e.g. `cloudflare/cloudflared:2025.11.1`. */
    image: string;
    /** Connector replicas, e.g. 2. */
    replicas: number;
    /** Vault Kubernetes auth mount the connector's VaultAuth logs in at. */
    vaultAuthMount: pulumi.Input<string>;
    /** Vault role bound to the `cloudflared` ServiceAccount of the namespace. */
    vaultRole: pulumi.Input<string>;
    /** Audiences of the ServiceAccount token VSO requests (the role's audience), e.g. `["vault"]`. */
    audiences: string[];
    /** KV v2 mount of the token. */
    kvMount: pulumi.Input<string>;
    /** KV path (no mount, no `data/`) of the token. */
    tokenSecretPath: string;
    /** KV version of the token: copied into the Secret's annotations, so a new token is synced at once. */
    tokenSecretVersion: pulumi.Input<number>;
    /** How often VSO re-reads the token, e.g. `1h`. */
    refreshAfter: string;
    /** Extra labels on the Namespace, e.g. the owning stack. @default {} */
    labels?: Record<string, string>;
    /** Protect the Namespace against deletion/replacement (production). */
    protect: boolean;
    /** Resources that bring the VSO CRDs (the operator's Helm release). @default [] */
    crdDependencies?: pulumi.Resource[];
}

/** Labels of the connector's pods (and the Deployment's selector). */
export const CLOUDFLARED_POD_LABELS: Readonly<Record<string, string>> = {
    "app.kubernetes.io/name": CLOUDFLARED_NAME,
    "app.kubernetes.io/managed-by": "gitops-platform",
};

/**
 * The cloudflared connector in the cluster: its Namespace, a ServiceAccount `cloudflared` (no
 * token mounted into the pods), a VaultAuth `cloudflared` logging in as that ServiceAccount, a
 * VaultStaticSecret keeping Secret `cloudflared-token` in sync with the token in Vault (and
 * restarting the Deployment when it changes), and a Deployment running
 * `cloudflared tunnel --no-autoupdate --metrics 0.0.0.0:2000 run` with TUNNEL_TOKEN from that
 * Secret: pinned image, non-root, read-only root file system, no capabilities, resource requests,
 * readiness and liveness on `/ready` (200 once connected to Cloudflare's edge). Replaces the seed's
 * `cloudflare-tunnel/setup.sh`. Needs an explicit `kubernetes` provider in its resource options.
 */
export class CloudflaredConnector extends pulumi.ComponentResource {
    /** The namespace name (resolves after the Namespace exists). */
    public readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: CloudflaredConnectorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops-platform:cloudflare:CloudflaredConnector", name, {}, opts);
        requireProvider(this, "kubernetes");
        const child = { parent: this };
        const annotations = { ...FORCE_APPLY_ANNOTATIONS };

        const ns = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: args.namespace,
                    annotations,
                    labels: { ...(args.labels ?? {}), "app.kubernetes.io/managed-by": "gitops-platform", "app.kubernetes.io/part-of": CLOUDFLARED_NAME },
                },
            },
            { ...child, protect: args.protect },
        );
        const namespace = ns.metadata.name;

        const sa = new k8s.core.v1.ServiceAccount(
            `${name}-service-account`,
            { metadata: { name: CLOUDFLARED_NAME, namespace, annotations }, automountServiceAccountToken: false },
            child,
        );

        const crOpts = { ...child, dependsOn: args.crdDependencies ?? [] };
        const auth = kubernetesVaultAuth(
            `${name}-vault-auth`,
            {
                metadata: { name: CLOUDFLARED_NAME, namespace, annotations },
                mount: args.vaultAuthMount,
                role: args.vaultRole,
                serviceAccount: sa.metadata.name,
                audiences: args.audiences,
            },
            crOpts,
        );

        const staticSecret = new k8s.apiextensions.CustomResource(
            `${name}-token`,
            {
                apiVersion: "secrets.hashicorp.com/v1beta1",
                kind: "VaultStaticSecret",
                metadata: { name: TUNNEL_TOKEN_SECRET, namespace, annotations },
                spec: {
                    vaultAuthRef: auth.metadata.name,
                    type: "kv-v2",
                    mount: args.kvMount,
                    path: args.tokenSecretPath,
                    refreshAfter: args.refreshAfter,
                    // A new token (a replaced tunnel) restarts the connectors: they read it from the environment.
                    rolloutRestartTargets: [{ kind: "Deployment", name: CLOUDFLARED_NAME }],
                    destination: {
                        name: TUNNEL_TOKEN_SECRET,
                        create: true,
                        type: "Opaque",
                        annotations: pulumi.output(args.tokenSecretVersion).apply((v) => ({ [TUNNEL_TOKEN_VERSION_ANNOTATION]: String(v) })),
                        // Only the token key, no `_raw` copy of the whole KV entry.
                        transformation: { excludeRaw: true },
                    },
                },
            },
            crOpts,
        );

        const probe = (initialDelaySeconds: number) => ({
            httpGet: { path: "/ready", port: "metrics" },
            initialDelaySeconds,
            periodSeconds: 10,
            timeoutSeconds: 3,
            failureThreshold: 3,
        });
        new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: { name: CLOUDFLARED_NAME, namespace, labels: { ...CLOUDFLARED_POD_LABELS }, annotations },
                spec: {
                    replicas: args.replicas,
                    selector: { matchLabels: { ...CLOUDFLARED_POD_LABELS } },
                    template: {
                        metadata: { labels: { ...CLOUDFLARED_POD_LABELS } },
                        spec: {
                            serviceAccountName: sa.metadata.name,
                            automountServiceAccountToken: false,
                            securityContext: {
                                runAsNonRoot: true,
                                runAsUser: CLOUDFLARED_UID,
                                runAsGroup: CLOUDFLARED_UID,
                                seccompProfile: { type: "RuntimeDefault" },
                            },
                            containers: [
                                {
                                    name: CLOUDFLARED_NAME,
                                    image: args.image,
                                    args: ["tunnel", "--no-autoupdate", "--metrics", `0.0.0.0:${CLOUDFLARED_METRICS_PORT}`, "run"],
                                    env: [{ name: "TUNNEL_TOKEN", valueFrom: { secretKeyRef: { name: TUNNEL_TOKEN_SECRET, key: TUNNEL_TOKEN_KEY } } }],
                                    ports: [{ name: "metrics", containerPort: CLOUDFLARED_METRICS_PORT, protocol: "TCP" }],
                                    readinessProbe: probe(5),
                                    livenessProbe: probe(10),
                                    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                                    securityContext: {
                                        allowPrivilegeEscalation: false,
                                        readOnlyRootFilesystem: true,
                                        capabilities: { drop: ["ALL"] },
                                    },
                                },
                            ],
                        },
                    },
                },
            },
            // Pods start once VSO has created the Secret; the Deployment waits for the token resource.
            { ...child, dependsOn: [staticSecret] },
        );

        this.namespace = namespace;
        this.registerOutputs({ namespace });
    }
}
