export const PLAYBOOK_HELP = `Usage: playbook [options] PLAYBOOK.ts
       playbook inventory -i FILE (--list | --host NAME | --graph [GROUP])
       playbook vault create|edit|view|encrypt|decrypt|rekey FILE   (see playbook vault --help)
       playbook history [list | show ID | --last-failed] [-i INV | --runs-dir DIR]
       playbook sessions [-i INV] [--since WHEN] [--until WHEN] [--user LOGIN] [--json]   (Guacamole's desktop sessions)

Runs a NovaStation playbook (a TypeScript module whose default export is definePlaybook(...))
against the hosts of an Ansible-compatible inventory.

Inventory and hosts:
  -i, --inventory FILE      inventory file, folder or host list (a,b,); repeatable (default:
                            inventory/site.yml beside the playbook)
  -l, --limit PATTERN       further limit the hosts (Ansible pattern: a:b, a:&b, a:!b, web*);
                            one that matches no host is an error (exit 1), as in Ansible
  -f, --forks N             hosts worked on at once (default 64)
      --list-hosts          print the matched host names, one per line, and exit

Selection:
  -r, --role NAME[,NAME]    run only these roles (per-role rerun)
  -t, --tags TAGS           run only tasks with these tags (always/never as in Ansible)
      --skip-tags TAGS      skip tasks with these tags
      --list-tasks          print plays, roles, tags and each role's tasks as the last
                            recorded run of this playbook met them (tasks are code), and exit

Changes:
  -C, --check               change nothing; report what would change
  -D, --diff                show unified diffs of file changes (secrets masked)
  -e, --extra-vars VARS     k=v pairs, JSON, or @file (YAML/JSON); repeatable; wins over all.
                            k=v text becomes the role's declared type when it is an exact
                            rendering of it (port=80 -> 80, flag=true -> true)

Connection:
      --accept-new-host-keys  trust and record host keys not yet in known_hosts
                            (a changed key is always refused; ANSIBLE_HOST_KEY_CHECKING=False
                            disables checking as in Ansible)
      --known-hosts FILE    known_hosts file (default ~/.ssh/known_hosts)
      --ssh-config FILE     ssh_config file (default ~/.ssh/config)
  -T, --timeout SECONDS     connection timeout (default 10)

Secrets and runs:
      --vault-password-file FILE  vault password from FILE (must not be readable by group/others;
                            an executable FILE is run and prints it, as in Ansible); repeatable
      --vault-id [LABEL@]SOURCE   as in Ansible (SOURCE: a file, a script or "prompt"); repeatable
  -J, --ask-vault-pass      ask for the vault password (NOVASTATION_VAULT_PASSWORD also works)
      --vault FILE          the secrets vault (default secrets.vault beside the inventory)
      --last-failed         only the hosts that failed or were unreachable in the last run
      --runs-dir DIR        run records folder (default .novastation/runs beside the inventory)
      --lock-timeout SECS   wait this long for another run's site lock (default: stop at once)
      --no-lock             no site lock (read-only runs only: --check, --list-*)

Output:
      --json                JSON Lines on stdout (task, host, recap events; an error event
                            before exiting on bad input); human output on stderr
  -v, --verbose             more detail: where a task's exception came from (-vv: task
                            starts; -vvv: exception stacks)
      --profile             time per role and task, and remote round trips
  -h, --help                this help
      --version             print the version

Recap: ok counts every successful task, changed or not; ignored counts failures a task allowed
(ignoreErrors), as in Ansible.

Exit codes: 0 ok, 1 error (also: --limit matches no host), 2 a host failed, 3 a host unreachable,
4 invalid inventory/playbook/variables, 5 bad options, 99 interrupted.
`;
