# Starts a lode init-code ETL in a Kubernetes pod (the aistorage/runtime_python image), run as
# `python3 -c <this> --host 0.0.0.0`: writes lode_etl.py, lode_etl_app.py and the user's code
# from the env into a fresh directory, pip-installs LODE_ETL_DEPS, then runs lode_etl.py,
# listening on the --host given here and $PORT.
import os, subprocess, sys, tempfile

d = tempfile.mkdtemp(prefix="lode-etl-")
for var, name in (("LODE_ETL_PY", "lode_etl.py"), ("LODE_ETL_APP_PY", "lode_etl_app.py"),
                  ("LODE_USER_CODE", "lode_user_code.py")):
    with open(os.path.join(d, name), "w") as f:
        f.write(os.environ[var])
deps = os.environ.get("LODE_ETL_DEPS", "").split()
if deps:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", *deps])
args = sys.argv[1:]
if "--host" in args:
    os.environ["LODE_ETL_HOST"] = args[args.index("--host") + 1]
os.chdir(d)
os.execv(sys.executable, [sys.executable, "lode_etl.py"])
