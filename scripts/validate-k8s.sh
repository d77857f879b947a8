#!/usr/bin/env bash
# Validates k8s/: renders the kustomize base with `kubectl kustomize` and checks every
# rendered object against the Kubernetes OpenAPI schemas (kubernetes-validate, strict: unknown
# fields are errors; the schemas ship with the package, no cluster or network needed), then
# checks that the ETL runtime specs in k8s/examples/ are what `ais etl init -f` expects.
# Needs: kubectl (Debian: kubernetes-client), python3 with venv. The venv is $LODE_K8S_VENV or
# $CARGO_TARGET_DIR/k8s-venv; pip needs PyPI only on the first run.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir="${CARGO_TARGET_DIR:-target}"
venv="${LODE_K8S_VENV:-$target_dir/k8s-venv}"
validator_version="1.37.0"
mkdir -p "$target_dir"
rendered="$target_dir/k8s-rendered.yaml"

if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$validator_version"

echo "== kubectl kustomize k8s/"
kubectl kustomize k8s/ > "$rendered"

echo "== kubernetes-validate --strict (must reject a bad object first)"
bad="$target_dir/k8s-bad.yaml"
printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  portz: []\n' > "$bad"
if "$venv/bin/kubernetes-validate" --strict --quiet "$bad" > /dev/null 2>&1; then
  echo "kubernetes-validate accepted an invalid object; the check below would prove nothing" >&2
  exit 1
fi
rm -f "$bad"
"$venv/bin/kubernetes-validate" --strict --quiet "$rendered"

echo "== rendered objects + ETL runtime specs (k8s/examples)"
"$venv/bin/python" - "$rendered" <<'PY'
import re, sys
import yaml

# Every object the base must render, by kind/name.
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
have = {(d["kind"], d["metadata"]["name"]) for d in docs}
want = {("Deployment", "lode-gateway"), ("Service", "lode-gateway"),
        ("StatefulSet", "lode-target"), ("Service", "lode-target"),
        ("ServiceAccount", "lode-target"), ("Role", "lode-etl"),
        ("RoleBinding", "lode-target-etl"), ("ConfigMap", "lode-config")}
missing = want - have
assert not missing, f"rendered base lacks {sorted(missing)}"
config = next(d for d in docs if d["kind"] == "ConfigMap")
assert yaml.safe_load(config["data"]["lode.yaml"])["etl"]["runner"] == "kubernetes"

specs = {
    "k8s/examples/md5-etl.yaml": "aistorage/transformer_md5:latest",
    "k8s/examples/ffmpeg-etl.yaml": "aistorage/transformer_ffmpeg:latest",
}
allowed = {"name", "communication", "init_timeout", "obj_timeout", "support_direct_put",
           "argument", "runtime", "resources"}
for path, image in specs.items():
    specs_in_file = [d for d in yaml.safe_load_all(open(path)) if d is not None]
    assert len(specs_in_file) == 1, f"{path}: want one document"
    spec = specs_in_file[0]
    extra = set(spec) - allowed
    assert not extra, f"{path}: unexpected keys {sorted(extra)}"
    assert re.fullmatch(r"[a-z0-9-]{6,32}", spec["name"]), f"{path}: bad name"
    assert spec.get("communication", "hpush://") in ("hpush://", "hpull://", "ws://"), path
    runtime = spec["runtime"]
    assert runtime["image"] == image, f"{path}: image {runtime['image']!r}, want {image!r}"
    command = runtime.get("command", [])
    assert isinstance(command, list) and all(isinstance(a, str) for a in command), path
    for var in runtime.get("env", []):
        assert set(var) == {"name", "value"} and isinstance(var["value"], str), f"{path}: {var}"
    if spec.get("communication") == "ws://":
        assert spec.get("support_direct_put") is True, f"{path}: ws:// requires direct put"
    print(f"ok {path}: {spec['name']} ({runtime['image']})")
PY
echo "k8s manifests OK ($(grep -c '^kind:' "$rendered") objects)"
