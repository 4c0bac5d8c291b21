"""
Runs the real ansible-inventory / ansible (--list-hosts) commands for the agreement test, fast.

Python start-up and importing Ansible cost ~0.5-1 s per command and the corpus needs ~300
commands, on two cores shared with other test files. So this process imports Ansible once, and for
each batch of commands forks a child that runs each command's own `main()` (exactly what
/usr/bin/ansible-inventory and /usr/bin/ansible call) one after the other, with stdout/stderr
captured per command. Between commands the child resets the two pieces of process-wide state a CLI
run leaves behind: the GlobalCLIArgs singleton (else the next command would see the previous
command's options) and Display's already-shown warnings (else a repeated warning would be hidden).

Protocol: one JSON request per stdin line {"id", "cwd", "commands": [{"cmd", "args"}]}, cmd being
"ansible-inventory" or "ansible"; one JSON reply per stdout line
{"id", "results": [{"code", "stdout", "stderr", "ms"}]}.
"""
import gc
import json
import os
import sys
import tempfile
import time

os.environ.setdefault('ANSIBLE_NOCOLOR', '1')
os.environ.setdefault('ANSIBLE_FORCE_COLOR', '0')

import ansible.cli.adhoc  # noqa: E402
import ansible.cli.inventory  # noqa: E402
from ansible import constants as C  # noqa: E402
from ansible.plugins.loader import inventory_loader, vars_loader  # noqa: E402
from ansible.utils.context_objects import GlobalCLIArgs  # noqa: E402
from ansible.utils.display import Display  # noqa: E402

# Load what every command needs once, in the parent, so no child pays for it.
for _name in C.INVENTORY_ENABLED:
    inventory_loader.get(_name)
list(vars_loader.all())
# Keep the children from copying every page of the parent's heap when the collector runs.
gc.collect()
gc.freeze()

MAINS = {'ansible-inventory': ansible.cli.inventory.main, 'ansible': ansible.cli.adhoc.main}


def run_one(command):
    GlobalCLIArgs._Singleton__instance = None
    display = Display()
    display._warns = {}
    display._deprecations = {}
    display._errors = {}
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(out.fileno(), 1)
    os.dup2(err.fileno(), 2)
    started = time.monotonic()
    sys.argv = [command['cmd']] + list(command['args'])
    try:
        code = MAINS[command['cmd']]()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException as e:  # reported to the test as a failed command
        sys.stderr.write('driver: %r\n' % (e,))
        code = 250
    sys.stdout.flush()
    sys.stderr.flush()
    out.seek(0)
    err.seek(0)
    return {
        'code': code or 0,
        'stdout': out.read().decode('utf-8', 'replace'),
        'stderr': err.read().decode('utf-8', 'replace'),
        'ms': round((time.monotonic() - started) * 1000),
    }


def run_batch(req):
    result = tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(req.get('cwd') or '.')
            results = [run_one(c) for c in req['commands']]
            result.write(json.dumps(results).encode())
            result.flush()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    result.seek(0)
    data = result.read()
    results = json.loads(data) if data else [
        {'code': 251, 'stdout': '', 'stderr': 'driver: the batch crashed', 'ms': 0} for _ in req['commands']
    ]
    return {'id': req['id'], 'results': results}


for line in sys.stdin:
    if line.strip():
        sys.stdout.write(json.dumps(run_batch(json.loads(line))) + '\n')
        sys.stdout.flush()
