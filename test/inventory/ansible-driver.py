"""
Runs the real ansible-inventory / ansible (--list-hosts) commands for the agreement test, fast.

Python start-up and importing Ansible cost ~0.5-1 s per command; the corpus needs hundreds of
commands. So this process imports `ansible.cli.inventory` and `ansible.cli.adhoc` once, then for
each request forks a child that runs the command's own `main()` (what /usr/bin/ansible-inventory
and /usr/bin/ansible do) with fresh per-process state, stdout/stderr captured in files.

Protocol: one JSON request per stdin line {"id", "cmd": "ansible-inventory"|"ansible", "args": [...],
"cwd"}; one JSON reply per stdout line {"id", "code", "stdout", "stderr"}.
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

# Warm what every command would otherwise load again in each child: plugin modules and configs.
from ansible import constants as C  # noqa: E402
from ansible.plugins.loader import inventory_loader, vars_loader  # noqa: E402
from ansible.parsing.dataloader import DataLoader  # noqa: E402
import ansible.vars.manager  # noqa: E402,F401
import ansible.inventory.manager  # noqa: E402,F401
import ansible.executor.task_queue_manager  # noqa: E402,F401
import ansible.playbook.play  # noqa: E402,F401
for _name in C.INVENTORY_ENABLED:
    inventory_loader.get(_name)
list(vars_loader.all())
# Keep the children from copying every page of the parent's heap when the collector runs.
gc.collect()
gc.freeze()

MAINS = {'ansible-inventory': ansible.cli.inventory.main, 'ansible': ansible.cli.adhoc.main}


def run(req):
    started = time.monotonic()
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(req.get('cwd') or '.')
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            sys.argv = [req['cmd']] + list(req['args'])
            code = MAINS[req['cmd']]()
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException as e:  # pragma: no cover - reported to the test
            os.write(2, ('driver: %r\n' % (e,)).encode())
            code = 250
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code or 0)
    _, status = os.waitpid(pid, 0)
    out.seek(0)
    err.seek(0)
    return {
        'id': req['id'],
        'code': os.waitstatus_to_exitcode(status),
        'stdout': out.read().decode('utf-8', 'replace'),
        'stderr': err.read().decode('utf-8', 'replace'),
        'ms': round((time.monotonic() - started) * 1000),
    }


for line in sys.stdin:
    if line.strip():
        sys.stdout.write(json.dumps(run(json.loads(line))) + '\n')
        sys.stdout.flush()
