/**
 * The guacamole role's variable schema (what the engine checks with ajv before any host is
 * touched; stack.test.ts proves the exit 4 through the CLI): pinned image references, the
 * release-dependent ban limits, the options' shapes.
 */
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { guacamoleDefaults, guacamoleVarsSchema } from '../../roles/guacamole/vars.js';

const validate = new Ajv({ strict: false, allErrors: true }).compile(guacamoleVarsSchema);
const ok = (extra: Record<string, unknown>) => validate({ ...guacamoleDefaults, ...extra });

describe('guacamole variables', () => {
  it('images are pinned: a tag, optionally a digest; never an implicit latest', () => {
    const digest = `@sha256:${'a'.repeat(64)}`;
    expect(ok({ guacamole_webapp_image: 'guacamole/guacamole:1.6.0' })).toBe(true);
    expect(ok({ guacamole_webapp_image: `guacamole/guacamole:1.6.0${digest}` })).toBe(true);
    expect(ok({ guacamole_postgres_image: 'registry.example:5000/library/postgres:16.4' })).toBe(true);
    expect(ok({ guacamole_webapp_image: 'guacamole/guacamole' })).toBe(false);
    expect(ok({ guacamole_webapp_image: `guacamole/guacamole${digest}` })).toBe(false);
    expect(ok({ guacamole_guacd_image: 'guacamole/guacd:1.6.0@sha256:short' })).toBe(false);
  });

  it('ban limits only with release 1.6', () => {
    expect(ok({ guacamole_ban: { max_invalid_attempts: 5 } })).toBe(true);
    expect(ok({ guacamole_release: '1.5', guacamole_ban: { max_invalid_attempts: 5 } })).toBe(false);
    expect(ok({ guacamole_release: '1.5' })).toBe(true);
  });

  it('OpenID endpoints must be HTTPS; unknown option keys are refused', () => {
    const oidc = {
      authorization_endpoint: 'https://id.example/auth',
      jwks_endpoint: 'https://id.example/jwks',
      issuer: 'https://id.example',
      client_id: 'guacamole',
      redirect_uri: 'https://gw.example/guacamole/',
    };
    expect(ok({ guacamole_openid: oidc })).toBe(true);
    expect(ok({ guacamole_openid: { ...oidc, jwks_endpoint: 'http://id.example/jwks' } })).toBe(false);
    expect(ok({ guacamole_totp: { digits: 9 } })).toBe(false);
    expect(ok({ guacamole_recording: { retention_days: -1 } })).toBe(false);
    expect(ok({ guacamole_remote_ip_valve: false })).toBe(true);
    expect(ok({ guacamole_service_overrides: { nginx: {} } })).toBe(false);
    expect(ok({ guacamole_docker_engine: 'podman' })).toBe(false);
  });
});
