#!/usr/bin/env python3
"""Checks compose.yaml's observability profile and the files it mounts: the
collector receives OTLP on 4317 and 4318 and every pipeline names only
components it defines, Prometheus scrapes every Paygate service and loads the
alerting rules it mounts, Grafana's provisioning points at the mounted
dashboard. Exit status 1 with one line per problem.

Usage: check_observability.py [compose.yaml [otel-collector.yaml]]
"""

import os
import sys

import yaml

PAYGATE_SERVICES = ["core", "edge-admin", "edge-main", "pdf-worker"]
PROFILE = "observability"


def load(path, problems):
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle) or {}
    except (OSError, yaml.YAMLError) as err:
        problems.append(f"{path}: {err}")
        return {}


def mounts(service):
    """(host path, container path) of each bind mount of ./ paths."""
    for volume in service.get("volumes", []) or []:
        if isinstance(volume, str) and volume.startswith("./"):
            parts = volume.split(":")
            yield parts[0], parts[1]


def check_collector(config, path, problems):
    protocols = (config.get("receivers", {}).get("otlp", {}) or {}).get("protocols", {}) or {}
    for protocol, port in (("grpc", "4317"), ("http", "4318")):
        endpoint = (protocols.get(protocol) or {}).get("endpoint", "")
        if not endpoint.endswith(":" + port):
            problems.append(f"{path}: the otlp receiver must take {protocol} on port {port}")
    service = config.get("service") or {}
    pipelines = service.get("pipelines") or {}
    if "traces" not in pipelines:
        problems.append(f"{path}: no traces pipeline")
    for name, pipeline in pipelines.items():
        for kind in ("receivers", "processors", "exporters"):
            defined = config.get(kind) or {}
            for component in (pipeline or {}).get(kind, []) or []:
                if component not in defined:
                    problems.append(f"{path}: pipeline {name} uses undefined {kind[:-1]} {component}")
        for kind in ("receivers", "exporters"):
            if not (pipeline or {}).get(kind):
                problems.append(f"{path}: pipeline {name} has no {kind}")
    for extension in service.get("extensions", []) or []:
        if extension not in (config.get("extensions") or {}):
            problems.append(f"{path}: undefined extension {extension}")


def main():
    compose_path = sys.argv[1] if len(sys.argv) > 1 else "compose.yaml"
    base = os.path.dirname(os.path.abspath(compose_path))
    problems = []
    compose = load(compose_path, problems)
    services = compose.get("services") or {}
    profiled = {n: s for n, s in services.items() if PROFILE in ((s or {}).get("profiles") or [])}
    for needed in ("otel-collector", "prometheus", "grafana"):
        if needed not in profiled:
            problems.append(f"{compose_path}: no {needed} service in the {PROFILE} profile")
    for name in PAYGATE_SERVICES:
        if name not in services:
            problems.append(f"{compose_path}: no {name} service")
        elif (services[name] or {}).get("profiles"):
            problems.append(f"{compose_path}: {name} must run without a profile")
    # Every file the profile mounts exists, by container path.
    mounted = {}
    for name, service in profiled.items():
        for host, container in mounts(service):
            if not os.path.exists(os.path.join(base, host)):
                problems.append(f"{compose_path}: {name} mounts {host}, which does not exist")
            mounted[(name, container)] = os.path.join(base, host)

    collector = mounted.get(("otel-collector", "/etc/otelcol-contrib/config.yaml"))
    if len(sys.argv) > 2:
        collector = sys.argv[2]
    if collector is None:
        problems.append(f"{compose_path}: the collector's config is not mounted")
    else:
        check_collector(load(collector, problems), collector, problems)

    prometheus_path = mounted.get(("prometheus", "/etc/prometheus/prometheus.yml"))
    if prometheus_path is None:
        problems.append(f"{compose_path}: prometheus.yml is not mounted")
    else:
        prometheus = load(prometheus_path, problems)
        for rules in prometheus.get("rule_files", []) or []:
            if ("prometheus", rules) not in mounted:
                problems.append(f"{prometheus_path}: rule file {rules} is not mounted")
        scraped = set()
        for job in prometheus.get("scrape_configs", []) or []:
            for static in job.get("static_configs", []) or []:
                for target in static.get("targets", []) or []:
                    scraped.add(target.split(":")[0])
        for name in PAYGATE_SERVICES:
            if name not in scraped:
                problems.append(f"{prometheus_path}: {name} is not scraped")

    grafana = profiled.get("grafana") or {}
    provisioning = next((host for host, c in mounts(grafana) if c == "/etc/grafana/provisioning"), None)
    if provisioning is None:
        problems.append(f"{compose_path}: grafana's provisioning is not mounted")
    else:
        folder = os.path.join(base, provisioning)
        for kind in ("datasources", "dashboards"):
            directory = os.path.join(folder, kind)
            files = sorted(f for f in os.listdir(directory) if f.endswith(".yml")) if os.path.isdir(directory) else []
            if not files:
                problems.append(f"{directory}: no provisioning file")
            for file in files:
                config = load(os.path.join(directory, file), problems)
                if config.get("apiVersion") != 1:
                    problems.append(f"{directory}/{file}: apiVersion must be 1")
                if kind == "dashboards":
                    for provider in config.get("providers", []) or []:
                        path = (provider.get("options") or {}).get("path", "")
                        if not any(n == "grafana" and c.startswith(path + "/") for n, c in mounted):
                            problems.append(f"{directory}/{file}: nothing is mounted under {path}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
