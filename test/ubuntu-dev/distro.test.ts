// The ubuntu-dev role's per-distribution table (roles/ubuntu-dev/distro.ts), and the two polkit
// files it chooses between: Debian 12 (polkit 122) reads JavaScript rules, Ubuntu 22.04
// (polkit 0.105) reads .pkla files. The Debian row is also exercised on a real host
// (desktop.test.ts); no Ubuntu archive is reachable here, so the Ubuntu row is checked only here.
import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../../tasks/index.js';
import { distroFacts } from '../../roles/ubuntu-dev/distro.js';

describe('ubuntu-dev distribution table', () => {
  it('Debian 12: JavaScript polkit rule, Debian’s Node.js, Docker’s debian repository', () => {
    const d = distroFacts({ os: 'debian', release: '12', codename: 'bookworm' });
    expect(d).toMatchObject({
      id: 'debian-12',
      polkit: { format: 'js', path: '/etc/polkit-1/rules.d/45-novastation-colord.rules', package: 'polkitd' },
      nodejsDefault: 'distro',
      dockerOs: 'debian',
      codename: 'bookworm',
    });
  });

  it('Ubuntu 22.04: .pkla polkit file, NodeSource’s Node.js (its own is 12), Docker’s ubuntu repository', () => {
    const d = distroFacts({ os: 'ubuntu', release: '22.04', codename: 'jammy' });
    expect(d).toMatchObject({
      id: 'ubuntu-22.04',
      polkit: {
        format: 'pkla',
        path: '/etc/polkit-1/localauthority/50-local.d/45-novastation-colord.pkla',
        package: 'policykit-1',
      },
      nodejsDefault: 'repository',
      dockerOs: 'ubuntu',
    });
  });

  it('refuses a distribution it was not written for, naming the supported ones', () => {
    expect(() => distroFacts({ os: 'ubuntu', release: '24.04', codename: 'noble' })).toThrow(
      'ubuntu-dev supports ubuntu-22.04 and debian-12; this host runs ubuntu 24.04',
    );
    expect(() => distroFacts({ os: 'fedora', release: '40', codename: '' })).toThrow(/fedora 40/);
  });

  it('the polkit files: a JavaScript rule that answers no for colord in remote sessions, a .pkla with the colord actions', () => {
    const js = renderTemplate('ubuntu-dev/colord.rules.hbs', {});
    // Evaluate the rule as polkit would: addRule's function, with an action and a subject.
    let rule: ((a: { id: string }, s: { local: boolean }) => unknown) | undefined;
    new Function('polkit', js)({ addRule: (f: typeof rule) => (rule = f), Result: { NO: 'no' } });
    expect(rule!({ id: 'org.freedesktop.color-manager.create-device' }, { local: false })).toBe('no');
    expect(rule!({ id: 'org.freedesktop.color-manager.create-device' }, { local: true })).toBeUndefined();
    expect(rule!({ id: 'org.freedesktop.login1.reboot' }, { local: false })).toBeUndefined();
    const pkla = renderTemplate('ubuntu-dev/colord.pkla.hbs', {});
    expect(pkla).toMatch(/^\[Allow Colord all Users\]$/m);
    expect(pkla).toMatch(/^Action=org\.freedesktop\.color-manager\.create-device;/m);
    expect(pkla).toMatch(/^ResultInactive=no$/m);
  });
});
