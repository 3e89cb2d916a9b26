use super::*;
use crate::workflow::model::Workflow;
use crate::workflow::yaml;

fn with_job<R>(job_yaml: &str, f: impl FnOnce(&Job<'_>) -> R) -> R {
    let src = format!("on: push\njobs:\n  j:\n{job_yaml}");
    let root = yaml::parse(&src).root.expect("root");
    let wf = Workflow::new(&root);
    f(&wf.jobs[0])
}

fn deploys(job_yaml: &str) -> Vec<String> {
    with_job(job_yaml, |j| {
        job_deploys(j).into_iter().map(|d| d.what).collect()
    })
}

fn run(script: &str) -> Vec<String> {
    let job = format!(
        "    runs-on: x\n    steps:\n      - run: |\n{}\n",
        script
            .lines()
            .map(|l| format!("          {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    deploys(&job)
}

#[test]
fn deploy_commands() {
    assert_eq!(
        run("deploy-action deploy --image x"),
        vec!["deploy-action deploy"]
    );
    assert_eq!(
        run("./bin/deploy-action promote"),
        vec!["deploy-action promote"]
    );
    assert_eq!(
        run("kubectl -n prod set image deploy/a a=r/a:1"),
        vec!["kubectl set image"]
    );
    assert_eq!(
        run("kustomize build . | kubectl apply -f -"),
        vec!["kubectl apply"]
    );
    assert_eq!(
        run("kubectl rollout restart deploy/a"),
        vec!["kubectl rollout restart"]
    );
    assert_eq!(
        run("helm upgrade --install app ./chart"),
        vec!["helm upgrade"]
    );
    assert_eq!(
        run("sudo az webapp config container set -n a"),
        vec!["az webapp config container set"]
    );
    assert_eq!(
        run("az containerapp update -n a --image r/a:1"),
        vec!["az containerapp update"]
    );
    assert_eq!(
        run("az webapp deployment slot swap -s staging"),
        vec!["az webapp deployment slot swap"]
    );
    assert_eq!(
        run("gcloud run deploy svc --image r/a:1"),
        vec!["gcloud run deploy"]
    );
    assert_eq!(
        run("aws ecs update-service --cluster c"),
        vec!["aws ecs update-service"]
    );
    assert_eq!(
        run("terraform apply -auto-approve"),
        vec!["terraform apply"]
    );
}

#[test]
fn not_deploys() {
    for s in [
        "docker push r/a:latest",
        "kubectl rollout status deploy/a",
        "kubectl apply --dry-run=client -f x.yaml",
        "helm plugin install https://x",
        "helm diff upgrade a ./chart",
        "helm repo add a https://x",
        "echo kubectl apply -f x",
        "# kubectl apply -f x",
        "terraform plan",
        "deploy-action lint",
        "az acr build --image r/a:1 .",
    ] {
        assert!(run(s).is_empty(), "{s}");
    }
}

#[test]
fn throwaway_clusters_are_not_deploys() {
    let job = "    runs-on: x\n    steps:\n      - uses: helm/kind-action@v1\n      - run: kubectl apply -f x.yaml\n";
    assert!(deploys(job).is_empty());
    let job =
        "    name: e2e tests\n    runs-on: x\n    steps:\n      - run: helm install a ./chart\n";
    assert!(deploys(job).is_empty());
    // A deploy action is a deploy even in a job that also starts a cluster.
    let job = "    runs-on: x\n    steps:\n      - run: minikube start\n      - uses: azure/k8s-deploy@v5\n";
    assert_eq!(deploys(job), vec!["azure/k8s-deploy"]);
}

#[test]
fn deploy_actions() {
    let job = "    runs-on: x\n    steps:\n      - uses: Azure/webapps-deploy@v3\n      - uses: actions/checkout@v4\n";
    assert_eq!(deploys(job), vec!["azure/webapps-deploy"]);
    let job = "    runs-on: x\n    steps:\n      - uses: org/deploy-action@v1\n        with:\n          command: promote\n";
    assert_eq!(deploys(job), vec!["deploy-action promote"]);
    let job = "    runs-on: x\n    steps:\n      - uses: org/deploy-action@v1\n        with:\n          command: lint\n";
    assert!(deploys(job).is_empty());
}

fn image_texts(job_yaml: &str) -> Vec<(String, bool)> {
    with_job(job_yaml, |j| {
        job_deploys(j)
            .iter()
            .flat_map(images)
            .map(|r| (r.text, r.tag_only))
            .collect()
    })
}

#[test]
fn images_of_commands_and_inputs() {
    let job = "    runs-on: x\n    steps:\n      - run: kubectl set image deploy/a a=r/a:latest b=\"r/b:1\"\n";
    assert_eq!(
        image_texts(job),
        vec![("r/a:latest".into(), false), ("r/b:1".into(), false)]
    );
    let job = "    runs-on: x\n    steps:\n      - run: gcloud run deploy s --image=r/a:${{ github.sha }}\n";
    assert_eq!(
        image_texts(job),
        vec![("r/a:${{ github.sha }}".into(), false)]
    );
    let job = "    runs-on: x\n    steps:\n      - run: helm upgrade a c --set image.repository=r,image.tag=main\n";
    assert_eq!(image_texts(job), vec![("main".into(), true)]);
    let job = "    runs-on: x\n    steps:\n      - uses: azure/k8s-deploy@v5\n        with:\n          images: |\n            r/a:${{ github.sha }}\n            r/b\n";
    assert_eq!(
        image_texts(job),
        vec![
            ("r/a:${{ github.sha }}".into(), false),
            ("r/b".into(), false)
        ]
    );
}

#[test]
fn image_offsets_map_into_the_script() {
    with_job(
        "    runs-on: x\n    steps:\n      - run: kubectl set image deploy/a a=r/a:latest\n",
        |j| {
            let d = &job_deploys(j)[0];
            let r = &images(d)[0];
            let v = r.node.as_str().expect("str");
            assert_eq!(&v[r.start..r.end], "r/a:latest");
        },
    );
}

#[test]
fn tags() {
    assert_eq!(classify("r/a@sha256:abc"), Tag::Pinned);
    assert_eq!(classify("r/a:${{ github.sha }}"), Tag::Pinned);
    assert_eq!(classify("r/a:sha-0123abc"), Tag::Pinned);
    assert_eq!(classify("r/a:0123456789abcdef"), Tag::Pinned);
    assert_eq!(classify("r/a:v1.2.3"), Tag::Pinned);
    assert_eq!(classify("localhost:5000/a:$GITHUB_SHA"), Tag::Pinned);
    assert_eq!(classify("r/a:latest"), Tag::Mutable("latest".into()));
    assert_eq!(classify("localhost:5000/a"), Tag::Mutable(String::new()));
    assert_eq!(classify("r/a:main"), Tag::Mutable("main".into()));
    assert_eq!(
        classify("r/a:${{ github.ref_name }}"),
        Tag::Mutable("${{ github.ref_name }}".into())
    );
    assert_eq!(classify("${{ env.IMAGE }}"), Tag::Unknown);
    assert_eq!(classify("$IMAGE"), Tag::Unknown);
    assert_eq!(classify("r/a:$TAG"), Tag::Unknown);
    assert_eq!(
        classify("${{ env.REGISTRY }}.io/${{ env.NAME }}:${{ github.sha }}"),
        Tag::Pinned
    );
    assert_eq!(classify_tag("latest"), Tag::Mutable("latest".into()));
    assert_eq!(classify_tag("${{ github.sha }}"), Tag::Pinned);
}

#[test]
fn environments() {
    with_job("    environment: production\n    runs-on: x\n", |j| {
        assert_eq!(environment(j).map(|e| e.0), Some("production"));
    });
    with_job(
        "    environment:\n      name: staging\n      url: u\n    runs-on: x\n",
        |j| {
            assert_eq!(environment(j).map(|e| e.0), Some("staging"));
        },
    );
    with_job("    runs-on: x\n", |j| assert!(environment(j).is_none()));
}

#[test]
fn kubectl_wrapper_actions() {
    let job = "    runs-on: x\n    steps:\n      - uses: actions-hub/kubectl@master\n        with:\n          args: set image deploy/a a=r/a:latest\n";
    assert_eq!(deploys(job), vec!["kubectl set image"]);
    with_job(job, |j| {
        let d = &job_deploys(j)[0];
        let r = &images(d)[0];
        assert_eq!(r.text, "r/a:latest");
        let v = r.node.as_str().expect("str");
        assert_eq!(&v[r.start..r.end], "r/a:latest");
    });
    let job = "    runs-on: x\n    steps:\n      - uses: actions-hub/kubectl@master\n        with:\n          args: get pods\n";
    assert!(deploys(job).is_empty());
}

#[test]
fn azure_cli_inline_scripts() {
    let job = "    runs-on: x\n    steps:\n      - uses: azure/CLI@v2\n        with:\n          inlineScript: |\n            az webapp config set -n a --always-on true\n            az containerapp update -n a --image r/a:main\n";
    assert_eq!(deploys(job), vec!["az containerapp update"]);
    with_job(job, |j| {
        let imgs: Vec<String> = job_deploys(j)
            .iter()
            .flat_map(images)
            .map(|r| r.text)
            .collect();
        assert_eq!(imgs, vec!["r/a:main"]);
    });
}

#[test]
fn test_jobs_are_told_apart_by_words() {
    let job =
        "    name: build latest\n    runs-on: x\n    steps:\n      - run: kubectl apply -f k8s/\n";
    assert_eq!(deploys(job), vec!["kubectl apply"]);
    let job = "    name: integration-tests\n    runs-on: x\n    steps:\n      - run: kubectl apply -f k8s/\n";
    assert!(deploys(job).is_empty());
}

#[test]
fn only_scripts_naming_a_deploy_program_are_parsed() {
    use super::may_deploy;
    assert!(may_deploy("kubectl apply -f k8s/"));
    assert!(may_deploy("sudo /usr/local/bin/helm upgrade x"));
    assert!(may_deploy("echo hi\n  az webapp deploy"));
    assert!(may_deploy("\"fly\" deploy"));
    assert!(!may_deploy("docker build . && echo local"));
    assert!(!may_deploy("make lazy-load helmet awsome kubectl-like"));
}

/// What [`may_deploy`] answers, by a split of the script into words.
fn may_deploy_by_split(script: &str) -> bool {
    let word_char = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    script
        .as_bytes()
        .split(|b| !word_char(b))
        .any(|w| super::DEPLOY_PROGRAMS.iter().any(|p| p.as_bytes() == w))
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
    #[test]
    fn may_deploy_agrees_with_a_split_into_words(
        script in "(kubectl|helm|helmfile|az|oc|fly|aws|terraform|deploy-action|a|z|k|-|_|\\.|/| |\n|\u{e9}|\"|x){0,24}",
    ) {
        proptest::prop_assert_eq!(super::may_deploy(&script), may_deploy_by_split(&script));
    }

    #[test]
    fn owner_repo_is_the_first_two_segments(name in "[a/]{0,8}") {
        let joined = name.split('/').take(2).collect::<Vec<_>>().join("/");
        proptest::prop_assert_eq!(super::owner_repo(&name), joined.as_str());
    }
}
