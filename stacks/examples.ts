/**
 * Valid examples shown next to config errors, keyed by the config path with environment names
 * replaced by `<env>` and list indexes by `[]`. The most specific match wins.
 */
const EXAMPLES: Record<string, string> = {
    namespacePrefix: "gitops-platform:namespacePrefix: poc",
    environments: "gitops-platform:environments:\n  dev: {}\n  staging:\n    serviceAccounts: [deployer]",
    "environments.<env>": "gitops-platform:environments:\n  dev:\n    namespace: poc-dev",
    "environments.<env>.namespace": "gitops-platform:environments:\n  dev:\n    namespace: poc-dev",
    "environments.<env>.serviceAccounts": "gitops-platform:environments:\n  dev:\n    serviceAccounts: [default, deployer]",
    "environments.<env>.serviceAccounts[]": "gitops-platform:environments:\n  dev:\n    serviceAccounts: [default, deployer]",
    "environments.<env>.imageConstraint":
        "gitops-platform:environments:\n  dev:\n    imageConstraint: ~0-0   # 0.x, pre-releases included\n  prod:\n    imageConstraint: ~0     # stable 0.x only",
    "environments.<env>.perService": "gitops-platform:environments:\n  prod:\n    perService: true",
    services: "gitops-platform:services:\n  - name: api-gateway\n    syncWave: 1",
    "services[]": "gitops-platform:services:\n  - name: api-gateway\n    repo: api-gateway\n    syncWave: 1",
    "services[].name": "gitops-platform:services:\n  - name: api-gateway",
    "services[].repo": "gitops-platform:services:\n  - name: api-gateway\n    repo: backend/api-gateway",
    "services[].syncWave": "gitops-platform:services:\n  - name: api-gateway\n    syncWave: -1",
    gitlab: "gitops-platform:gitlab:\n  host: gitlab.com\n  group: gitops-poc-dzha",
    "gitlab.host": "gitops-platform:gitlab:\n  host: gitlab.example.com",
    "gitlab.group": "gitops-platform:gitlab:\n  group: gitops-poc-dzha",
    "gitlab.apiUrl":
        "gitops-platform:gitlab:\n  apiUrl: https://gitlab.example.com/gitlab\n# plain http only on a loopback host:\ngitops-platform:gitlab:\n  apiUrl: http://127.0.0.1:8080",
    "gitlab.registryHost": "gitops-platform:gitlab:\n  registryHost: registry.gitlab.example.com",
    "gitlab.deployToken":
        "gitops-platform:gitlab:\n  deployToken:\n    name: gitops-platform-registry\n    expiresInDays: 90\n    rotateBeforeDays: 14",
    "gitlab.deployToken.name": "gitops-platform:gitlab:\n  deployToken:\n    name: gitops-platform-registry",
    "gitlab.deployToken.expiresInDays": "gitops-platform:gitlab:\n  deployToken:\n    expiresInDays: 90",
    "gitlab.deployToken.rotateBeforeDays": "gitops-platform:gitlab:\n  deployToken:\n    expiresInDays: 90\n    rotateBeforeDays: 14",
    "gitlab.ciPushTokenVariable": "gitops-platform:gitlab:\n  ciPushTokenVariable: CI_PUSH_TOKEN",
    "gitlab.ciPushToken":
        "gitops-platform:gitlab:\n  ciPushToken:\n    mode: groupAccessToken\n    name: gitops-platform-ci-push\n    expiresInDays: 90\n    rotateBeforeDays: 14\n    scopes: [write_repository]\n    accessLevel: developer",
    "gitlab.ciPushToken.mode":
        "gitops-platform:gitlab:\n  ciPushToken:\n    mode: groupAccessToken\n# or, with the personal token in the secret gitops-platform:ciPushToken:\ngitops-platform:gitlab:\n  ciPushToken:\n    mode: personalAccessToken\n    rotateBeforeDays: 14",
    "gitlab.ciPushToken.name": "gitops-platform:gitlab:\n  ciPushToken:\n    name: gitops-platform-ci-push",
    "gitlab.ciPushToken.expiresInDays": "gitops-platform:gitlab:\n  ciPushToken:\n    expiresInDays: 90",
    "gitlab.ciPushToken.rotateBeforeDays": "gitops-platform:gitlab:\n  ciPushToken:\n    expiresInDays: 90\n    rotateBeforeDays: 14",
    "gitlab.ciPushToken.scopes": "gitops-platform:gitlab:\n  ciPushToken:\n    scopes: [write_repository]",
    "gitlab.ciPushToken.scopes[]": "gitops-platform:gitlab:\n  ciPushToken:\n    scopes: [write_repository]",
    "gitlab.ciPushToken.accessLevel": "gitops-platform:gitlab:\n  ciPushToken:\n    accessLevel: developer",
    ciPushToken:
        "pulumi config set --secret gitops-platform:ciPushToken <personal-access-token>\n# or let the stack make a group access token instead (remove the secret):\ngitops-platform:gitlab:\n  ciPushToken:\n    mode: groupAccessToken",
    gitlabToken: "pulumi config set --secret gitops-platform:gitlabToken <gitlab-api-token>",
    registry:
        "gitops-platform:registry:\n  server: registry.example.com\n  username: puller\n" +
        "# and the password as a secret:\npulumi config set --secret --path 'gitops-platform:registry.password' <password>",
    "registry.server": "gitops-platform:registry:\n  server: registry.example.com",
    "registry.username": "gitops-platform:registry:\n  username: puller",
    "registry.password": "pulumi config set --secret --path 'gitops-platform:registry.password' <password>",
    "registry.vault":
        "# credentials already in Vault (fields REGISTRY_URL, REGISTRY_USERNAME, REGISTRY_PASSWORD):\n" +
        "gitops-platform:registry:\n  vault:\n    mount: kv\n    path: container-register",
    "registry.vault.path": "gitops-platform:registry:\n  vault:\n    path: container-register",
    "registry.vault.mount": "gitops-platform:registry:\n  vault:\n    mount: kv\n    path: container-register",
    "registry.mirror":
        "gitops-platform:registry:\n  mirror:\n    server: mirror.example.com\n    username: puller\n" +
        "# and the password as a secret:\npulumi config set --secret --path 'gitops-platform:registry.mirror.password' <password>\n" +
        "# with registry.vault: only the host; the login comes from MIRROR_USERNAME / MIRROR_PASSWORD of the Vault secret\n" +
        "gitops-platform:registry:\n  vault:\n    path: container-register\n  mirror:\n    server: mirror.example.com",
    "registry.mirror.server": "gitops-platform:registry:\n  mirror:\n    server: mirror.example.com",
    "registry.mirror.username": "gitops-platform:registry:\n  mirror:\n    server: mirror.example.com\n    username: puller",
    "registry.mirror.password": "pulumi config set --secret --path 'gitops-platform:registry.mirror.password' <password>",
    vault: "gitops-platform:vault:\n  kvMount: secret\n  pathPrefix: gitops-poc-dzha\n  kubernetesAuthMount: kubernetes",
    "vault.kvMount": "gitops-platform:vault:\n  kvMount: secret",
    "vault.manageKvMount": "gitops-platform:vault:\n  manageKvMount: false",
    "vault.pathPrefix": "gitops-platform:vault:\n  pathPrefix: gitops-poc-dzha",
    "vault.kubernetesAuthMount": "gitops-platform:vault:\n  kubernetesAuthMount: kubernetes-prod",
    "vault.kubernetesHost":
        "gitops-platform:vault:\n  kubernetesHost: https://10.0.0.1:6443\n# plain http only on a loopback host:\ngitops-platform:vault:\n  kubernetesHost: http://127.0.0.1:8080",
    "vault.kubernetesCaCert": "gitops-platform:vault:\n  kubernetesCaCert: |\n    -----BEGIN CERTIFICATE-----\n    ...",
    "vault.tokenReviewerNamespace": "gitops-platform:vault:\n  tokenReviewerNamespace: kube-system",
    "vault.audience": "gitops-platform:vault:\n  audience: vault",
    "vault.tokenTtl": "gitops-platform:vault:\n  tokenTtl: 1h",
    "vault.servicePlaceholders": "gitops-platform:vault:\n  servicePlaceholders: false",
    "vault.writers":
        "gitops-platform:vault:\n  writers:\n    - name: vault-sync-operator\n      namespace: vault-sync-operator-system\n" +
        "      serviceAccount: vault-sync-operator-controller-manager\n      prefix: k8s-sync/dev",
    "vault.writers[]": "gitops-platform:vault:\n  writers:\n    - name: vault-sync-operator\n      prefix: k8s-sync/dev",
    "vault.writers[].name": "gitops-platform:vault:\n  writers:\n    - name: vault-sync-operator\n      prefix: k8s-sync/dev",
    "vault.writers[].namespace": "gitops-platform:vault:\n  writers:\n    - namespace: vault-sync-operator-system\n      prefix: k8s-sync/dev",
    "vault.writers[].serviceAccount":
        "gitops-platform:vault:\n  writers:\n    - serviceAccount: vault-sync-operator-controller-manager\n      prefix: k8s-sync/dev",
    "vault.writers[].prefix": "gitops-platform:vault:\n  writers:\n    - name: vault-sync-operator\n      prefix: k8s-sync/dev",
    "vault.writers[].read": "gitops-platform:vault:\n  writers:\n    - prefix: k8s-sync/dev\n      read: true",
    argocd: "gitops-platform:argocd:\n  enabled: true\n  chartVersion: 10.1.1\n  namespace: argocd",
    "argocd.enabled": "gitops-platform:argocd:\n  enabled: false",
    "argocd.chartVersion": "gitops-platform:argocd:\n  chartVersion: 10.1.1",
    "argocd.chartRepo": "gitops-platform:argocd:\n  chartRepo: https://argoproj.github.io/argo-helm",
    "argocd.namespace": "gitops-platform:argocd:\n  namespace: argocd",
    "argocd.project": "gitops-platform:argocd:\n  project: poc",
    "argocd.appChart": "gitops-platform:argocd:\n  appChart:\n    repoURL: https://d7561985.github.io/k8app\n    chart: app\n    version: 3.4.0",
    "argocd.appChart.repoURL": "gitops-platform:argocd:\n  appChart:\n    repoURL: https://d7561985.github.io/k8app",
    "argocd.appChart.chart": "gitops-platform:argocd:\n  appChart:\n    chart: app",
    "argocd.appChart.version": "gitops-platform:argocd:\n  appChart:\n    version: 3.4.0",
    "argocd.targetRevision": "gitops-platform:argocd:\n  targetRevision: main",
    "argocd.repoUsername": "gitops-platform:argocd:\n  repoUsername: argocd-reader",
    "argocd.ciAccount":
        "gitops-platform:argocd:\n  ciAccount:\n    enabled: true\n    name: ci-readonly\n    tokenExpiresInDays: 90\n    rotateBeforeDays: 14",
    "argocd.ciAccount.enabled": "gitops-platform:argocd:\n  ciAccount:\n    enabled: false",
    "argocd.ciAccount.name": "gitops-platform:argocd:\n  ciAccount:\n    name: ci-readonly",
    "argocd.ciAccount.tokenExpiresInDays": "gitops-platform:argocd:\n  ciAccount:\n    tokenExpiresInDays: 90",
    "argocd.ciAccount.rotateBeforeDays": "gitops-platform:argocd:\n  ciAccount:\n    tokenExpiresInDays: 90\n    rotateBeforeDays: 14",
    "argocd.apiUrl":
        "gitops-platform:argocd:\n  apiUrl: https://argocd.example.com\n# plain http only on a loopback host (e.g. kubectl port-forward):\ngitops-platform:argocd:\n  apiUrl: http://127.0.0.1:8080",
    "argocd.apiUsername": "gitops-platform:argocd:\n  apiUsername: admin",
    "argocd.url": "gitops-platform:argocd:\n  url: https://argocd.example.com",
    "argocd.webhook": "gitops-platform:argocd:\n  webhook:\n    enabled: true\n    sslVerification: true",
    "argocd.webhook.enabled": "gitops-platform:argocd:\n  webhook:\n    enabled: false",
    "argocd.webhook.sslVerification": "gitops-platform:argocd:\n  webhook:\n    sslVerification: true",
    argocdAdminPassword: "pulumi config set --secret gitops-platform:argocdAdminPassword <argocd-admin-password>",
    "gitlab.configRepo": "gitops-platform:gitlab:\n  configRepo: gitops-config",
    "gitlab.manageProjects": "gitops-platform:gitlab:\n  manageProjects: true",
    argocdRepoToken: "pulumi config set --secret gitops-platform:argocdRepoToken <gitlab-read-token>",
    vso: "gitops-platform:vso:\n  enabled: true\n  chartVersion: 1.5.0\n  vaultAddress: https://vault.vault.svc:8200",
    "vso.enabled": "gitops-platform:vso:\n  enabled: false",
    "vso.chartVersion": "gitops-platform:vso:\n  chartVersion: 1.5.0",
    "vso.chartRepo": "gitops-platform:vso:\n  chartRepo: https://helm.releases.hashicorp.com",
    "vso.namespace": "gitops-platform:vso:\n  namespace: vault-secrets-operator-system",
    "vso.vaultAddress":
        "gitops-platform:vso:\n  vaultAddress: https://vault.vault.svc:8200\n" +
        "# or a Vault without TLS (e.g. the in-cluster dev Vault), accepted explicitly:\n" +
        "gitops-platform:vso:\n  vaultAddress: http://vault.vault.svc:8200\n  allowInsecureHttp: true",
    "vso.allowInsecureHttp": "gitops-platform:vso:\n  vaultAddress: http://vault.vault.svc:8200\n  allowInsecureHttp: true",
    "vso.refreshAfter": "gitops-platform:vso:\n  refreshAfter: 1h",
    "vso.waitForSync": "gitops-platform:vso:\n  waitForSync: true",
    "vso.syncTimeout": "gitops-platform:vso:\n  syncTimeout: 3m",
    imageUpdater:
        "gitops-platform:imageUpdater:\n  enabled: true\n  chartVersion: 1.2.4\n  images:\n    - service: api-gateway\n      image: registry.gitlab.com/gitops-poc-dzha/api-gateway",
    "imageUpdater.enabled": "gitops-platform:imageUpdater:\n  enabled: true",
    "imageUpdater.install": "# the updater is installed outside this stack:\ngitops-platform:imageUpdater:\n  enabled: true\n  install: false",
    "imageUpdater.chartVersion": "gitops-platform:imageUpdater:\n  chartVersion: 1.2.4",
    "imageUpdater.chartRepo": "gitops-platform:imageUpdater:\n  chartRepo: https://argoproj.github.io/argo-helm",
    "imageUpdater.images":
        "gitops-platform:imageUpdater:\n  images:\n    - service: api-gateway\n      image: registry.gitlab.com/gitops-poc-dzha/api-gateway",
    "imageUpdater.images[]":
        "gitops-platform:imageUpdater:\n  images:\n    - service: api-gateway\n      image: registry.gitlab.com/gitops-poc-dzha/api-gateway",
    "imageUpdater.images[].service":
        "gitops-platform:services:\n  - name: api-gateway\ngitops-platform:imageUpdater:\n  images:\n    - service: api-gateway   # a name listed in services\n      image: registry.gitlab.com/gitops-poc-dzha/api-gateway",
    "imageUpdater.images[].image":
        "gitops-platform:imageUpdater:\n  images:\n    - service: api-gateway\n      image: registry.gitlab.com/gitops-poc-dzha/api-gateway   # no tag: the version comes from imageConstraint",
    cloudflare:
        "gitops-platform:cloudflare:\n  enabled: true\n  accountId: 0123456789abcdef0123456789abcdef\n  zoneId: fedcba9876543210fedcba9876543210\n" +
        "  zoneName: example.com\n  tunnelName: minikube-dev\n  routes:\n    - hostname: app.example.com\n      service: http://api-gateway.poc-dev.svc.cluster.local:80\n" +
        "# and the provider's API token, encrypted:\npulumi config set --secret cloudflare:apiToken <cloudflare-api-token>",
    "cloudflare.enabled": "gitops-platform:cloudflare:\n  enabled: false",
    previews:
        "gitops-platform:previews:\n  enabled: true\n  services: [api-gateway]\n  label: preview\n  host:\n    pattern: \"{service}-mr-{number}.preview.example.com\"\n    parameter: ingress.host",
    "previews.services": "gitops-platform:previews:\n  services: [api-gateway, auth-service]",
    "previews.services[]": "gitops-platform:previews:\n  services: [api-gateway, auth-service]",
    "previews.label": "gitops-platform:previews:\n  label: preview",
    "previews.namespace": "gitops-platform:previews:\n  namespace: poc-preview",
    "previews.valuesFile": "gitops-platform:previews:\n  valuesFile: .cicd/preview.yaml",
    "previews.imageTagParameter": "gitops-platform:previews:\n  imageTagParameter: image.tag",
    "previews.host": "gitops-platform:previews:\n  host:\n    pattern: \"{service}-mr-{number}.preview.example.com\"\n    parameter: ingress.host",
    "previews.requeueAfterSeconds": "gitops-platform:previews:\n  requeueAfterSeconds: 180",
    "previews.maxPreviews": "gitops-platform:previews:\n  maxPreviews: 10",
    previewsGitlabToken: "pulumi config set --secret gitops-platform:previewsGitlabToken <group access token, read_api>",
    "cloudflare.accountId": "gitops-platform:cloudflare:\n  accountId: 0123456789abcdef0123456789abcdef",
    "cloudflare.zoneId": "gitops-platform:cloudflare:\n  zoneId: fedcba9876543210fedcba9876543210",
    "cloudflare.zoneName": "gitops-platform:cloudflare:\n  zoneName: example.com",
    "cloudflare.tunnelName": "gitops-platform:cloudflare:\n  tunnelName: minikube-dev",
    "cloudflare.routes":
        "gitops-platform:cloudflare:\n  routes:\n    - hostname: app.example.com\n      service: http://api-gateway.poc-dev.svc.cluster.local:80",
    "cloudflare.routes[]":
        "gitops-platform:cloudflare:\n  routes:\n    - hostname: app.example.com\n      service: http://api-gateway.poc-dev.svc.cluster.local:80",
    "cloudflare.routes[].hostname": "gitops-platform:cloudflare:\n  zoneName: example.com\n  routes:\n    - hostname: app.example.com",
    "cloudflare.routes[].service": "gitops-platform:cloudflare:\n  routes:\n    - service: http://api-gateway.poc-dev.svc.cluster.local:80",
    "cloudflare.namespace": "gitops-platform:cloudflare:\n  namespace: poc-cloudflared",
    "cloudflare.image": "gitops-platform:cloudflare:\n  image: cloudflare/cloudflared:2025.11.1",
    "cloudflare.replicas": "gitops-platform:cloudflare:\n  replicas: 2",
    "cloudflare.dns01Token": "gitops-platform:cloudflare:\n  dns01Token: true",
    protect: "gitops-platform:protect: true",
};

/** Turns a config path into the pattern used by `EXAMPLES` (`environments.dev.namespace` → `environments.<env>.namespace`). */
export function examplePattern(path: readonly PropertyKey[]): string {
    let out = "";
    path.forEach((seg, i) => {
        if (typeof seg === "number") {
            out += "[]";
        } else if (i === 1 && path[0] === "environments") {
            out += ".<env>";
        } else {
            out += (i === 0 ? "" : ".") + String(seg);
        }
    });
    return out;
}

/** The most specific valid example for a config path, falling back to its parents. */
export function exampleFor(path: readonly PropertyKey[]): string | undefined {
    for (let n = path.length; n > 0; n--) {
        const ex = EXAMPLES[examplePattern(path.slice(0, n))];
        if (ex !== undefined) {
            return ex;
        }
    }
    return undefined;
}
