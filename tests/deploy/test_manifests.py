"""The Dockerfile, compose.yaml and the Kubernetes manifests agree with each other and the app.

Ports, probe paths, image name, user and every CONVLAB_* variable are read from the files and
checked against app.config.Settings and the app's routes, so renaming a setting or moving the
health route breaks a test here rather than a classroom deployment.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from app.config import Settings
from app.main import create_app
from tests.helpers.app_routes import route_paths

ROOT = Path(__file__).resolve().parents[2]
HEALTH = "/api/health"


# --- readers ----------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    instructions: list[tuple[str, str]] = []
    buffer = ""
    for line in lines:
        stripped = line.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        buffer += stripped
        keyword, _, rest = buffer.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        buffer = ""
    return instructions


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest in dockerfile_instructions():
        if keyword == "ENV":
            for item in shlex.split(rest):
                name, _, value = item.partition("=")
                env[name] = value
    return env


def dockerfile_args() -> dict[str, str]:
    args: dict[str, str] = {}
    for keyword, rest in dockerfile_instructions():
        if keyword == "ARG":
            name, _, value = rest.partition("=")
            args[name] = value
    return args


def only(keyword: str) -> str:
    found = [rest for k, rest in dockerfile_instructions() if k == keyword]
    assert len(found) == 1, f"expected one {keyword} in the Dockerfile, found {found}"
    return found[0]


def compose_file() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def compose_service(name: str = "convlab") -> dict:
    compose = compose_file()
    assert list(compose["services"]) == ["convlab", "postgres"]
    return compose["services"][name]


def compose_interpolate(value: str) -> str:
    """What compose substitutes with nothing set in the shell: ``${NAME:-default}`` -> default."""
    assert "${" not in re.sub(r"\$\{[A-Z_]+:-[^}]*\}", "", value), f"no default in {value}"
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def manifests() -> dict[str, dict]:
    """Every Kubernetes object under deploy/, by kind."""
    objects: dict[str, dict] = {}
    for path in sorted((ROOT / "deploy").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and "kind" in doc and doc["kind"] != "Kustomization":
                assert doc["kind"] not in objects, f"two {doc['kind']} objects"
                objects[doc["kind"]] = doc
    return objects


def k8s_container() -> dict:
    containers = manifests()["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def k8s_env() -> dict[str, str]:
    """The variables given as plain values (not those read from a Secret)."""
    return {item["name"]: item["value"] for item in k8s_container()["env"] if "value" in item}


def k8s_secret_refs() -> dict[str, dict]:
    """The variables read from a Secret: name -> its secretKeyRef."""
    return {
        item["name"]: item["valueFrom"]["secretKeyRef"]
        for item in k8s_container()["env"]
        if "valueFrom" in item
    }


def example_secret() -> dict:
    [doc] = yaml.safe_load_all((ROOT / "deploy" / "examples" / "database-secret.yaml").read_text())
    return doc


def compose_env(service: str = "convlab") -> dict[str, str]:
    return {
        name: compose_interpolate(str(value))
        for name, value in compose_service(service)["environment"].items()
    }


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


SETTINGS_ENV_NAMES = {f"CONVLAB_{name.upper()}" for name in Settings.model_fields}


# --- the image --------------------------------------------------------------------------------


def test_image_builds_on_the_official_slim_python():
    image = dockerfile_args()["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.1[1-9]-slim", image), image
    assert only("FROM") == "${PYTHON_IMAGE}"
    minimum = pyproject()["project"]["requires-python"]
    assert SpecifierSet(minimum).contains(image.split(":")[1].removesuffix("-slim") + ".0")


def _lock(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            package, version = line.split("==")
            pins[package] = version
    return pins


def test_the_image_installs_the_runtime_lock_with_cpu_torch_within_pyproject_range():
    torch_version = _lock("requirements.lock")["torch"]
    assert torch_version.endswith("+cpu")
    torch_spec = next(d for d in pyproject()["project"]["dependencies"] if d.startswith("torch"))
    assert SpecifierSet(torch_spec.removeprefix("torch")).contains(torch_version.split("+")[0])
    runs = [rest for k, rest in dockerfile_instructions() if k == "RUN"]
    assert (
        'python -m pip install --extra-index-url "${TORCH_INDEX_URL}" -r requirements.lock' in runs
    )
    args = dict(rest.split("=", 1) for k, rest in dockerfile_instructions() if k == "ARG")
    assert args["TORCH_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"


def test_the_locks_pin_every_direct_dependency_at_the_versions_installed_here():
    from importlib import metadata

    from packaging.requirements import Requirement

    runtime, test = _lock("requirements.lock"), _lock("requirements-test.lock")
    project = pyproject()["project"]
    for text in project["dependencies"]:
        name = Requirement(text).name.lower()
        assert runtime[name] == test[name] == metadata.version(name), name
    for text in project["optional-dependencies"]["test"]:
        name = Requirement(text).name.lower()
        assert test[name] == metadata.version(name), name


def test_dependencies_are_installed_before_the_source_is_copied():
    steps = [(k, rest) for k, rest in dockerfile_instructions()]
    index = {step: i for i, step in enumerate(steps)}
    copy_lock = index[("COPY", "requirements.lock ./")]
    install_deps = index[
        ("RUN", 'python -m pip install --extra-index-url "${TORCH_INDEX_URL}" -r requirements.lock')
    ]
    first_source = min(index[("COPY", f"{d} ./{d}")] for d in ("app", "static", "templates"))
    assert copy_lock < install_deps < first_source


def test_the_package_is_a_regular_install_and_the_source_copy_is_removed():
    runs = [rest for k, rest in dockerfile_instructions() if k == "RUN"]
    install = next(r for r in runs if "pip install --no-deps ." in r)
    assert " -e " not in install
    assert "rm -rf build *.egg-info app templates static" in install


def test_image_runs_as_a_non_root_user_that_kubernetes_also_uses():
    user = only("USER")
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0, "numeric, so runAsNonRoot can verify it"
    pod = manifests()["Deployment"]["spec"]["template"]["spec"]["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert (pod["runAsUser"], pod["runAsGroup"]) == (int(uid), int(gid))


def test_dockerfile_uses_no_buildkit_mounts_and_no_fixed_python_path():
    text = (ROOT / "Dockerfile").read_text()
    assert "--mount" not in text
    assert "/usr/local/bin/python" not in text and "/usr/bin/python" not in text


def test_the_command_is_convlab_serve_reading_its_settings_from_the_environment():
    assert only("CMD") == '["convlab", "serve"]'
    assert pyproject()["project"]["scripts"]["convlab"] == "app.cli:main"
    env = dockerfile_env()
    assert env["CONVLAB_HOST"] == "0.0.0.0"
    assert "CONVLAB_WORKERS" not in env, "default: the CPU count; compose and k8s set it"


def test_healthcheck_probes_the_health_route_with_python_not_curl():
    check = only("HEALTHCHECK")
    assert "curl" not in check and "wget" not in check
    assert "python -c" in check and "urllib.request.urlopen" in check
    assert f"/api/health' % os.environ.get('CONVLAB_PORT', '{Settings().port}')" in check


# --- one port everywhere ----------------------------------------------------------------------


def test_one_port_everywhere():
    port = Settings().port
    assert only("EXPOSE") == str(port)
    assert dockerfile_env()["CONVLAB_PORT"] == str(port)
    published = compose_service()["ports"]
    assert len(published) == 1 and published[0].rsplit(":", 1)[1] == str(port)
    assert compose_env()["CONVLAB_PORT"] == str(port)
    assert k8s_env()["CONVLAB_PORT"] == str(port)
    ports = k8s_container()["ports"]
    assert ports == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    service_ports = manifests()["Service"]["spec"]["ports"]
    assert [p["targetPort"] for p in service_ports] == ["http"]


# --- probes -----------------------------------------------------------------------------------


def test_the_probed_path_is_a_get_route_of_the_app():
    app = create_app(Settings())
    assert HEALTH in route_paths(app, "GET")


def test_compose_healthcheck_probes_the_health_route():
    check = compose_service()["healthcheck"]
    command = " ".join(check["test"])
    assert check["test"][:2] == ["CMD", "python"]
    assert f"http://127.0.0.1:{Settings().port}{HEALTH}" in command
    assert check["retries"] >= 1 and check["start_period"]


@pytest.mark.parametrize("probe", ["startupProbe", "readinessProbe", "livenessProbe"])
def test_kubernetes_probes_hit_the_health_route_on_the_named_port(probe):
    spec = k8s_container()[probe]
    assert spec["httpGet"] == {"path": HEALTH, "port": "http"}


def test_liveness_is_more_patient_than_readiness():
    container = k8s_container()
    ready, live = container["readinessProbe"], container["livenessProbe"]
    assert (
        live["periodSeconds"] * live["failureThreshold"]
        > ready["periodSeconds"] * ready["failureThreshold"]
    )


# --- image name and environment ---------------------------------------------------------------


def test_compose_and_kubernetes_run_the_same_image_tagged_with_the_version():
    image = f"convlab:{pyproject()['project']['version']}"
    assert compose_service()["image"] == image
    assert k8s_container()["image"] == image
    assert compose_service()["build"]["context"] == "."
    assert f"docker build -t {image} ." in (ROOT / "Dockerfile").read_text()


@pytest.mark.parametrize(
    ("where", "env"),
    [("Dockerfile", dockerfile_env), ("compose.yaml", compose_env), ("deploy/", k8s_env)],
)
def test_every_convlab_variable_is_a_real_setting_with_a_valid_value(where, env, monkeypatch):
    variables = {name: value for name, value in env().items() if name.startswith("CONVLAB_")}
    assert variables, where
    unknown = set(variables) - SETTINGS_ENV_NAMES
    assert not unknown, f"{where} sets {sorted(unknown)}, which no Settings field reads"
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    settings = Settings()  # raises if a value is out of range
    for name, value in variables.items():
        assert str(getattr(settings, name.removeprefix("CONVLAB_").lower())) == value


def test_compose_gives_each_worker_a_cpu_and_limits_memory():
    service = compose_service()
    assert service["restart"] == "unless-stopped"
    assert int(compose_env()["CONVLAB_WORKERS"]) == int(service["cpus"])
    assert service["mem_limit"].endswith("g")
    assert service["read_only"] is True and service["cap_drop"] == ["ALL"]


def test_kubernetes_worker_count_fits_the_cpu_limit():
    resources = k8s_container()["resources"]
    assert resources["requests"]["cpu"], "the HPA measures utilisation against the request"
    assert int(k8s_env()["CONVLAB_WORKERS"]) <= int(resources["limits"]["cpu"])


# --- Service and autoscaler -------------------------------------------------------------------


def test_the_service_selects_the_deployment_pods():
    objects = manifests()
    labels = objects["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert objects["Deployment"]["spec"]["selector"]["matchLabels"] == labels
    selector = objects["Service"]["spec"]["selector"]
    assert selector and all(labels.get(k) == v for k, v in selector.items())


def test_the_autoscaler_scales_the_deployment_on_cpu():
    objects = manifests()
    hpa = objects["HorizontalPodAutoscaler"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == (
        "Deployment",
        objects["Deployment"]["metadata"]["name"],
    )
    [metric] = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert 0 < metric["resource"]["target"]["averageUtilization"] <= 100
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((ROOT / "deploy" / "kustomization.yaml").read_text())
    files = {p.name for p in (ROOT / "deploy").glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


# --- build context ----------------------------------------------------------------------------


def _dockerignore_excludes(path: str) -> bool:
    """Docker's rule: the last pattern that matches the path or one of its parents wins."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        body = pattern.lstrip("!").strip("/")
        regex = re.escape(body).replace(r"\*\*/", "(.*/)?").replace(r"\*", "[^/]*")
        regex = regex.replace(r"\?", "[^/]")
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            excluded = not negated
    return excluded


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        ".git/HEAD",
        "tests/conftest.py",
        "test-artifacts/x.png",
        "data/mnist/train-images-idx3-ubyte.gz",
        ".hypothesis/examples/x",
        "runs/a/log.txt",
        "app/__pycache__/main.cpython-311.pyc",
        "convlab.egg-info/PKG-INFO",
        ".pytest_cache/x",
    ],
)
def test_dockerignore_keeps_out(path):
    assert _dockerignore_excludes(path)


@pytest.mark.parametrize(
    "path",
    [
        "pyproject.toml",
        "README.md",
        "app/main.py",
        "app/mnist/weights/cnn.pt",
        "static/js/api.js",
        "templates/base.html",
    ],
)
def test_dockerignore_lets_in(path):
    assert not _dockerignore_excludes(path)


def test_every_copied_path_is_in_the_build_context():
    for keyword, rest in dockerfile_instructions():
        if keyword == "COPY":
            *sources, _ = rest.split()
            for source in sources:
                assert (ROOT / source).exists(), source
                assert not _dockerignore_excludes(source), source


# --- the sessions' database -------------------------------------------------------------------


def test_compose_runs_postgresql_15_on_a_named_volume():
    postgres = compose_service("postgres")
    assert postgres["image"] == "postgres:15"
    assert postgres["restart"] == "unless-stopped"
    assert postgres["volumes"] == ["convlab-postgres:/var/lib/postgresql/data"]
    assert compose_file()["volumes"] == {"convlab-postgres": None}


def test_compose_keeps_postgresql_off_the_host_network():
    assert "ports" not in compose_service("postgres")


def test_compose_app_starts_only_once_postgresql_answers():
    assert compose_service()["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    check = compose_service("postgres")["healthcheck"]
    assert check["test"][0] == "CMD-SHELL" and check["test"][1].startswith("pg_isready ")
    assert check["retries"] >= 1 and check["start_period"]


def test_compose_database_url_names_the_postgres_service_its_user_password_and_database():
    from sqlalchemy.engine import make_url

    url = make_url(compose_env()["CONVLAB_DATABASE_URL"])
    postgres = compose_env("postgres")
    assert (url.host, url.port) == ("postgres", 5432)
    assert url.username == postgres["POSTGRES_USER"]
    assert url.password == postgres["POSTGRES_PASSWORD"]
    assert url.database == postgres["POSTGRES_DB"]
    raw = compose_service()["environment"]["CONVLAB_DATABASE_URL"]
    password = compose_service("postgres")["environment"]["POSTGRES_PASSWORD"]
    assert password == "${POSTGRES_PASSWORD:-convlab}" and f":{password}@" in raw


@pytest.mark.parametrize(
    "url",
    [
        compose_interpolate(compose_service()["environment"]["CONVLAB_DATABASE_URL"]),
        example_secret()["stringData"]["url"],
    ],
    ids=["compose", "kubernetes-secret"],
)
def test_the_deployed_database_urls_use_a_driver_that_is_installed(url):
    from sqlalchemy import create_engine

    engine = create_engine(url)  # imports the DBAPI module; connects to nothing
    assert engine.dialect.name == "postgresql"
    engine.dispose()


def test_kubernetes_reads_the_database_url_from_the_example_secret():
    refs = k8s_secret_refs()
    assert set(refs) == {"CONVLAB_DATABASE_URL"}
    assert "CONVLAB_DATABASE_URL" not in k8s_env(), "a password does not belong in the manifest"
    secret = example_secret()
    assert (secret["apiVersion"], secret["kind"], secret["type"]) == ("v1", "Secret", "Opaque")
    ref = refs["CONVLAB_DATABASE_URL"]
    assert ref["name"] == secret["metadata"]["name"]
    assert ref["key"] in secret["stringData"]
    assert ref.get("optional", False) is False, "without the Secret a pod must not start"


def test_the_example_secret_is_not_applied_with_the_kustomization():
    kustomization = yaml.safe_load((ROOT / "deploy" / "kustomization.yaml").read_text())
    assert not any("examples" in resource for resource in kustomization["resources"])
    assert "Secret" not in manifests()


@pytest.mark.parametrize(
    "url",
    [
        compose_interpolate(compose_service()["environment"]["CONVLAB_DATABASE_URL"]),
        example_secret()["stringData"]["url"],
    ],
    ids=["compose", "kubernetes-secret"],
)
def test_the_deployed_database_urls_are_valid_settings(url, monkeypatch):
    monkeypatch.setenv("CONVLAB_DATABASE_URL", url)
    assert "database_url" in Settings.model_fields
    Settings()  # raises if the URL is refused
