import * as pulumi from "@pulumi/pulumi";
import { FORCE_APPLY_ANNOTATIONS } from "./forceApply";
import * as k8s from "@pulumi/kubernetes";
import { requireProvider } from "../requireProvider";

/** Arguments of {@link TokenReviewer}. */
export interface TokenReviewerArgs {
    /** Namespace of the reviewer ServiceAccount, e.g. `kube-system`. */
    namespace: pulumi.Input<string>;
    /** Name of the ServiceAccount (and prefix of its token Secret). @default "vault-token-reviewer" */
    serviceAccountName?: string;
    /** Name of the ClusterRoleBinding to `system:auth-delegator`; must be unique per cluster. @default "vault-token-reviewer" */
    clusterRoleBindingName?: string;
    /** Labels on the ServiceAccount, its token Secret and the binding (e.g. the owning stack). @default {} */
    labels?: Record<string, string>;
}

/**
 * A ServiceAccount bound to `system:auth-delegator` with a long-lived token Secret. Vault's
 * Kubernetes auth uses that token for TokenReview calls, so logins work when Vault runs outside
 * the cluster, and whatever audience the login JWT carries. Needs an explicit `kubernetes` provider
 * in its resource options (`{ providers: { kubernetes } }`, or inherited from its parent); its
 * children inherit it.
 */
export class TokenReviewer extends pulumi.ComponentResource {
    /** The reviewer JWT (secret). */
    public readonly token: pulumi.Output<string>;
    /** The cluster CA certificate (PEM) as handed out with the token. */
    public readonly caCert: pulumi.Output<string>;
    /** `<namespace>/<name>` of the reviewer ServiceAccount. */
    public readonly serviceAccount: pulumi.Output<string>;

    constructor(name: string, args: TokenReviewerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops-platform:kubernetes:TokenReviewer", name, {}, opts);
        requireProvider(this, "kubernetes");
        const namespace = args.namespace;
        const saName = args.serviceAccountName ?? "vault-token-reviewer";
        const childOpts = { parent: this };

        const labels = args.labels ?? {};
        const sa = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: { name: saName, namespace, labels, annotations: { ...FORCE_APPLY_ANNOTATIONS } } }, childOpts);
        new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-auth-delegator`,
            {
                metadata: { name: args.clusterRoleBindingName ?? saName, labels, annotations: { ...FORCE_APPLY_ANNOTATIONS } },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:auth-delegator" },
                subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: sa.metadata.namespace }],
            },
            childOpts,
        );
        const secret = new k8s.core.v1.Secret(
            `${name}-token`,
            {
                metadata: {
                    name: `${saName}-token`,
                    namespace,
                    labels,
                    annotations: { ...FORCE_APPLY_ANNOTATIONS, "kubernetes.io/service-account.name": sa.metadata.name },
                },
                type: "kubernetes.io/service-account-token",
            },
            childOpts,
        );
        const decode = (key: string) =>
            secret.data.apply((d) => Buffer.from((d ?? {})[key] ?? "", "base64").toString("utf8"));
        this.token = pulumi.secret(decode("token"));
        this.caCert = decode("ca.crt");
        this.serviceAccount = pulumi.interpolate`${sa.metadata.namespace}/${sa.metadata.name}`;
        this.registerOutputs({ serviceAccount: this.serviceAccount });
    }
}
