/**
 * The rendered Compose project, without a host: the environment names per Guacamole release
 * (research §1.2), loopback-only publishing, the options passed through, and the Compose
 * Specification's schema accepting it (and refusing what it must).
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { secret } from '../../lib/secret.js';
import { renderCompose, secretsEnv } from '../../roles/guacamole/compose-project.js';
import { composeProblems } from '../../roles/guacamole/compose-schema.js';
import { guacamoleDefaults, type GuacamoleVars } from '../../roles/guacamole/vars.js';

const base = guacamoleDefaults as GuacamoleVars;
const project = (v: Partial<GuacamoleVars> = {}) => parse(renderCompose({ ...base, ...v }));
const envOf = (v: Partial<GuacamoleVars>, service: string) => project(v).services[service].environment;

describe('the Compose project', () => {
  it('1.6: POSTGRESQL_USERNAME and LOG_LEVEL; 1.5: POSTGRESQL_USER and GUACD_LOG_LEVEL', () => {
    expect(envOf({}, 'guacamole')).toMatchObject({
      POSTGRESQL_USERNAME: 'guacamole_user',
      GUACD_HOSTNAME: 'guacd',
    });
    expect(envOf({}, 'guacamole')).not.toHaveProperty('POSTGRESQL_USER');
    expect(envOf({}, 'guacd')).toEqual({ LOG_LEVEL: 'info' });
    const old = { guacamole_release: '1.5' as const };
    expect(envOf(old, 'guacamole')).toMatchObject({ POSTGRESQL_USER: 'guacamole_user' });
    expect(envOf(old, 'guacamole')).not.toHaveProperty('POSTGRESQL_USERNAME');
    expect(envOf(old, 'guacd')).toEqual({ GUACD_LOG_LEVEL: 'info' });
    const proxies = { guacamole_remote_ip_valve: { internal_proxies: '10\\.0\\.0\\.1' } };
    expect(envOf(proxies, 'guacamole')).toMatchObject({ REMOTE_IP_VALVE_INTERNAL_PROXIES: '10\\.0\\.0\\.1' });
    expect(envOf({ ...old, ...proxies }, 'guacamole')).toMatchObject({
      PROXY_ALLOWED_IPS_REGEX: '10\\.0\\.0\\.1',
    });
  });

  it('publishes the webapp on loopback only, nothing else; health checks, restart policies, a named volume', () => {
    const p = project();
    expect(p.services.guacamole.ports).toEqual(['127.0.0.1:8080:8080']);
    expect(p.services.guacd.ports).toBeUndefined();
    expect(p.services.postgres.ports).toBeUndefined();
    for (const s of ['guacd', 'postgres', 'guacamole']) {
      expect(p.services[s].restart).toBe('unless-stopped');
      expect(p.services[s].healthcheck.test.length).toBeGreaterThan(1);
    }
    expect(p.services.postgres.volumes).toEqual(['pgdata:/var/lib/postgresql/data']);
    expect(p.volumes).toEqual({ pgdata: {} });
    expect(p.name).toBeUndefined(); // Compose v1 has no top-level name: the project goes by -p
    expect(composeProblems(renderCompose(base))).toEqual([]);
  });

  it('passes OpenID Connect, TOTP, ban limits, recordings and the remote-IP valve through', () => {
    const v: Partial<GuacamoleVars> = {
      guacamole_openid: {
        authorization_endpoint: 'https://id.example/auth',
        jwks_endpoint: 'https://id.example/jwks',
        issuer: 'https://id.example',
        client_id: 'guacamole',
        redirect_uri: 'https://gw.example/guacamole/',
      },
      guacamole_totp: { issuer: 'Studio', digits: 6 },
      guacamole_ban: { max_invalid_attempts: 5, address_duration: 600 },
      guacamole_recording: { retention_days: 30 },
    };
    const p = project(v);
    expect(p.services.guacamole.environment).toMatchObject({
      OPENID_AUTHORIZATION_ENDPOINT: 'https://id.example/auth',
      OPENID_REDIRECT_URI: 'https://gw.example/guacamole/',
      TOTP_ENABLED: 'true',
      TOTP_ISSUER: 'Studio',
      TOTP_DIGITS: '6',
      BAN_MAX_INVALID_ATTEMPTS: '5',
      BAN_ADDRESS_DURATION: '600',
      REMOTE_IP_VALVE_ENABLED: 'true',
      RECORDING_SEARCH_PATH: '/var/lib/guacamole/recordings',
    });
    expect(p.services.guacd.volumes).toEqual(['recordings:/var/lib/guacamole/recordings']);
    expect(p.services.guacamole.volumes).toEqual(['recordings:/var/lib/guacamole/recordings:ro']);
    expect(p.services.guacamole.group_add).toEqual(['1000']);
    expect(p.volumes).toEqual({ pgdata: {}, recordings: {} });
    expect(composeProblems(renderCompose({ ...base, ...v }))).toEqual([]);
  });

  it('a dollar sign reaches the container literally (Compose would interpolate a single one)', () => {
    const v = { guacamole_totp: { issuer: 'a$b' } };
    expect(envOf(v, 'guacamole').TOTP_ISSUER).toBe('a$$b');
  });

  it('the schema refuses an unknown service key and a bad type, naming where', () => {
    expect(
      composeProblems(renderCompose({ ...base, guacamole_service_overrides: { guacd: { restartt: 'no' } } })),
    ).toEqual(['/services/guacd: must NOT have additional properties (restartt)']);
    expect(
      composeProblems(
        renderCompose({
          ...base,
          guacamole_service_overrides: { postgres: { healthcheck_x: 1, read_only: 'yes' } },
        }),
      ),
    ).toEqual(expect.arrayContaining(['/services/postgres/read_only: must be boolean']));
    expect(composeProblems('services: [')[0]).toMatch(/^not valid YAML/);
  });

  it('the secrets file holds only values that need no quoting', () => {
    expect(secretsEnv(secret('A'.repeat(32))).reveal()).toBe(
      `POSTGRES_PASSWORD=${'A'.repeat(32)}\nPOSTGRESQL_PASSWORD=${'A'.repeat(32)}\n`,
    );
    expect(() => secretsEnv(secret('short'))).toThrow(/guacamole_db_password must be at least 16 characters/);
    expect(() => secretsEnv(secret('has a space and $dollar sign'))).toThrow(/guacamole_db_password/);
  });
});
