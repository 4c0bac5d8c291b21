/**
 * Compile-time proofs (checked by `npm run typecheck`, never run): what a role author gets wrong
 * is a type error. Each `@ts-expect-error` fails the type check if the line below it compiles,
 * so these cannot pass by accident; the unmarked lines prove the right forms compile.
 */
import { defineRole, definePlaybook, fromVault, oneOf, secret, secretString, Type } from 'novastation';
import type { Secret } from 'novastation';
import { directory, file } from 'novastation/tasks';
import { base, devVm } from 'novastation/roles';

const PveRef = Type.Object({ pve_api_url: Type.String(), pve_token_secret: secretString() });

const web = defineRole({
  name: 'web',
  vars: Type.Object({
    site_name: Type.String(),
    port: Type.Optional(Type.Integer()),
    mode: Type.Optional(oneOf(['http', 'https'])),
    cert_note: Type.Optional(Type.String()),
    db_password: secretString(),
    pve_host: Type.String(),
  }),
  hostRefs: { pve_host: PveRef },
  defaults: { port: 8080, mode: 'https' },
  async apply({ host, vars, hostVarsOf }) {
    // Defaults make a variable non-optional inside apply…
    const port: number = vars.port;
    const mode: 'http' | 'https' = vars.mode;
    // …and a variable without one stays optional.
    // @ts-expect-error cert_note has no default: string | undefined
    const note: string = vars.cert_note;
    // A wrong variable type in a role:
    // @ts-expect-error site_name is a string
    const wrong: number = vars.site_name;
    // @ts-expect-error no such variable
    void vars.site_nam;
    // A secretString() field is a Secret, not a string.
    const password: Secret = vars.db_password;
    // @ts-expect-error a Secret is not a string
    const leaked: string = vars.db_password;
    // hostVarsOf by reference is typed from the reference's schema.
    const token: Secret = hostVarsOf('pve_host').pve_token_secret;
    // @ts-expect-error the reference's schema declares no such variable
    void hostVarsOf('pve_host').pve_node;
    void [port, mode, note, wrong, password, leaked, token];

    await file(host, { path: '/etc/web.conf', content: `${vars.site_name}:${port}\n` });
    // A wrong option to a primitive:
    // @ts-expect-error `recurse` is not an option of directory (it is `recursive`)
    await directory(host, { path: '/srv/web', recurse: true });
    // @ts-expect-error mode is a string like '0644'
    await file(host, { path: '/etc/web.conf', content: '', mode: 644 });
  },
});

// Defaults must fit the schema, and name only declared variables (reported at the call).
// @ts-expect-error port is an integer
defineRole({
  name: 'bad-default',
  vars: Type.Object({ port: Type.Optional(Type.Integer()) }),
  defaults: { port: '80' },
  async apply() {},
});
// @ts-expect-error no variable prot
defineRole({
  name: 'unknown-default',
  vars: Type.Object({ port: Type.Optional(Type.Integer()) }),
  defaults: { prot: 80 },
  async apply() {},
});

// The older form still compiles: a plain JSON Schema and the type given by hand.
defineRole<{ greeting: string }>({
  name: 'legacy',
  vars: { type: 'object', properties: { greeting: { type: 'string' } }, required: ['greeting'] },
  async apply({ vars }) {
    const greeting: string = vars.greeting;
    void greeting;
  },
});

export default definePlaybook({
  name: 'typed play vars',
  plays: [
    {
      hosts: 'all',
      roles: [
        base,
        { role: base, vars: { banner: 'Hello' } },
        { role: web, vars: { port: 9000, db_password: fromVault('db_password') } },
        { role: web, vars: { db_password: secret('plain') } },
        { role: devVm, vars: { vm_clone: 'linked', vm_cores: 8 } },
        // A wrong play variable:
        // @ts-expect-error banner is a string
        { role: base, vars: { banner: 42 } },
        // @ts-expect-error vm_clone is 'full' or 'linked'
        { role: devVm, vars: { vm_clone: 'thin' } },
        // @ts-expect-error base has no variable bannner
        { role: base, vars: { bannner: 'typo' } },
        // @ts-expect-error a vault reference only where the role declares a Secret
        { role: base, vars: { site_name: fromVault('site') } },
      ],
    },
  ],
});
