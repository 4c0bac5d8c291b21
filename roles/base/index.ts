/**
 * `base`: what every managed Linux host gets before its own role — a login banner naming the
 * site, and the folder NovaStation keeps its markers in. Small on purpose: it is the demo's role
 * and the engine tests' role; the issue 4 benchmark's host-preparation role grows from it.
 */
import { defineRole, Type } from '../../lib/define.js';
import { file } from '../../tasks/files/file.js';
import { template } from '../../tasks/files/template.js';

export const base = defineRole({
  name: 'base',
  tags: ['base'],
  vars: Type.Object({
    site_name: Type.String({ minLength: 1, description: 'The site, named in the login banner.' }),
    banner: Type.Optional(Type.String({ description: 'The login banner\'s text (default "Welcome.").' })),
    site_marker: Type.Optional(
      Type.String({
        description: 'Written to /etc/novastation/site; a change notifies the `site changed` handler.',
      }),
    ),
  }),
  defaults: { banner: 'Welcome.', site_marker: 'novastation' },
  handlers: {
    // Runs once at the end of the role however many tasks notified it.
    'site changed': async ({ host }) => {
      await host.$`date +%s%N >> /etc/novastation/handler-runs`;
    },
  },
  async apply({ host, vars, task }) {
    await task(
      'login banner',
      () => template(host, { path: '/etc/motd', src: 'base/motd.hbs', vars: { ...vars }, mode: '0644' }),
      { tags: ['motd'] },
    );
    await task(
      'novastation folder',
      async () => {
        const st = await host.stat('/etc/novastation');
        if (st?.type === 'directory') return { changed: false };
        await host.$`mkdir -p -m 0755 /etc/novastation`;
        return { changed: true, changes: ['directory /etc/novastation created'] };
      },
      { tags: ['marker'] },
    );
    await task(
      'site marker',
      () => file(host, { path: '/etc/novastation/site', content: `${vars.site_marker}\n`, mode: '0644' }),
      {
        tags: ['marker'],
        notify: 'site changed',
      },
    );
  },
});
