#!/usr/bin/env python3
"""fedsim as the official Python client sees it (run by fedsim_kubectl_test).

usage: fedsim_python_client.py KUBECONFIG

Lists Karmada clusters with CustomObjectsApi, then watches batch Jobs (bounded by
timeout_seconds) while creating one, and prints what it saw. Exits non-zero on any mismatch.
"""
import sys
import threading

from kubernetes import client, config, watch


def main() -> int:
    config.load_kube_config(config_file=sys.argv[1])
    custom = client.CustomObjectsApi()
    clusters = custom.list_cluster_custom_object("cluster.karmada.io", "v1alpha1", "clusters")
    names = sorted(item["metadata"]["name"] for item in clusters["items"])
    print("clusters: " + ",".join(names))

    batch = client.BatchV1Api()
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "py-job", "namespace": "default"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
            {"name": "main", "image": "busybox", "command": ["true"]}]}}},
    }
    start_rv = batch.list_namespaced_job("default").metadata.resource_version
    timer = threading.Timer(0.5, lambda: batch.create_namespaced_job("default", job))
    timer.start()
    seen = []
    w = watch.Watch()
    for event in w.stream(batch.list_namespaced_job, "default", resource_version=start_rv,
                          timeout_seconds=5):
        seen.append((event["type"], event["object"].metadata.name))
        if event["object"].metadata.name == "py-job":
            w.stop()
    timer.join()
    for kind, name in seen:
        print("watch: %s %s" % (kind, name))
    return 0 if ("ADDED", "py-job") in seen else 1


if __name__ == "__main__":
    sys.exit(main())
