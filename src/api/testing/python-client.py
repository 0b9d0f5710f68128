"""Drives a Stratus API server with Debian's python3-kubernetes, as kopf, Ansible and Airflow do.

Usage: python3 python-client.py KUBECONFIG. Prints one line per step and exits 0 when every
check held; a failed check raises (non-zero exit, traceback on stderr). Every wait is bounded.
"""
import sys
import time

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

NS = "py-client"


def step(name):
    print("ok", name, flush=True)


def wait_for(check, what, limit=20.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def cm(name, labels=None, owners=None):
    return client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name=name, labels=labels, owner_references=owners),
        data={"a": "1"},
    )


def main(kubeconfig):
    config.load_kube_config(config_file=kubeconfig)
    core = client.CoreV1Api()
    apps = client.AppsV1Api()

    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NS)))
    # As in Kubernetes, a controller publishes kube-root-ca.crt into every new namespace; wait for
    # it so the watches below see only this script's ConfigMaps.
    wait_for(
        lambda: any(i.metadata.name == "kube-root-ca.crt" for i in core.list_namespaced_config_map(NS).items),
        "kube-root-ca.crt in the new namespace",
    )
    created = core.create_namespaced_config_map(NS, cm("first", labels={"app": "py"}))
    assert created.metadata.uid, "the created object has a uid"
    step("create")

    listed = core.list_namespaced_config_map(NS, label_selector="app=py")
    assert [i.metadata.name for i in listed.items] == ["first"], listed.items
    start_rv = listed.metadata.resource_version
    step("list with a label selector")

    patched = core.patch_namespaced_config_map("first", NS, {"data": {"a": "2"}})
    assert patched.data == {"a": "2"}, patched.data
    step("patch (strategic merge)")

    try:
        core.read_namespaced_config_map("missing", NS)
        raise AssertionError("reading a missing object succeeded")
    except ApiException as e:
        assert e.status == 404, e.status
    step("404 as ApiException")

    labels = {"app": "web"}
    apps.create_namespaced_deployment(NS, client.V1Deployment(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1DeploymentSpec(
            replicas=1,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="x")]),
            ),
        ),
    ))
    scale = apps.patch_namespaced_deployment_scale("web", NS, {"spec": {"replicas": 3}})
    assert scale.spec.replicas == 3, scale.spec
    step("patch the scale subresource")

    # A watch (the client sends watch=True) from the list's resourceVersion sees the patch; a
    # second watch resumed from the last resourceVersion seen gets only what came after it.
    w = watch.Watch()
    seen = []
    for event in w.stream(core.list_namespaced_config_map, NS, resource_version=start_rv, timeout_seconds=10):
        seen.append((event["type"], event["object"].metadata.name, event["object"].data))
        if event["type"] == "MODIFIED":
            w.stop()
    assert seen == [("MODIFIED", "first", {"a": "2"})], seen
    resume_rv = w.resource_version
    core.patch_namespaced_config_map("first", NS, {"data": {"a": "3"}})
    core.create_namespaced_config_map(NS, cm("second"))
    w2 = watch.Watch()
    seen = []
    for event in w2.stream(core.list_namespaced_config_map, NS, resource_version=resume_rv, timeout_seconds=10):
        seen.append((event["type"], event["object"].metadata.name))
        if len(seen) == 2:
            w2.stop()
    assert seen == [("MODIFIED", "first"), ("ADDED", "second")], seen
    step("watch, and resume by resourceVersion")

    owner = core.create_namespaced_config_map(NS, cm("owner"))
    ref = [client.V1OwnerReference(api_version="v1", kind="ConfigMap", name="owner", uid=owner.metadata.uid)]
    for name in ("dep-1", "dep-2"):
        core.create_namespaced_config_map(NS, cm(name, labels={"owned": "yes"}, owners=ref))
    core.delete_namespaced_config_map("owner", NS, body=client.V1DeleteOptions(propagation_policy="Foreground"))
    owned = lambda: core.list_namespaced_config_map(NS, label_selector="owned=yes").items
    wait_for(lambda: not owned(), "the dependents to be deleted")
    def owner_gone():
        try:
            core.read_namespaced_config_map("owner", NS)
            return False
        except ApiException as e:
            return e.status == 404
    wait_for(owner_gone, "the owner to go after its dependents")
    step("delete with Foreground propagation")

    orphan_owner = core.create_namespaced_config_map(NS, cm("orphan-owner"))
    ref = [client.V1OwnerReference(api_version="v1", kind="ConfigMap", name="orphan-owner",
                                   uid=orphan_owner.metadata.uid)]
    core.create_namespaced_config_map(NS, cm("orphan", owners=ref))
    status = core.delete_namespaced_config_map("orphan-owner", NS, propagation_policy="Orphan")
    assert status.status == "Success" and status.details.name == "orphan-owner", status
    kept = core.read_namespaced_config_map("orphan", NS)
    assert kept.metadata.owner_references is None, kept.metadata.owner_references
    step("delete with Orphan propagation")

    core.delete_namespace(NS)
    def namespace_gone():
        try:
            core.read_namespace(NS)
            return False
        except ApiException as e:
            return e.status == 404
    wait_for(namespace_gone, "the namespace to be removed")
    step("delete the namespace")


if __name__ == "__main__":
    main(sys.argv[1])
