/**
 * The variables of templates/windows/autounattend.xml.hbs (the template's install) and
 * first-boot.xml.hbs (a clone's first boot after sysprep). Every value is XML-escaped here (the
 * template engine does not escape), and the administrator password is given in Windows Setup's
 * hidden form: base64 of the UTF-16LE text of password + the name of the field it fills
 * (`Password` for accounts and auto-logon), which is what Windows System Image Manager writes
 * with "Hide Sensitive Data" and Setup decodes.
 */
import type { Secret } from '../../lib/secret.js';

export function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function hiddenPassword(password: string, field: string): string {
  return Buffer.from(password + field, 'utf16le').toString('base64');
}

/** Drivers Windows Setup needs before it sees the disk and the NIC, on whichever drive letter the VirtIO ISO gets. */
const DRIVERS = ['vioscsi', 'viostor', 'NetKVM'];
const LETTERS = ['D', 'E', 'F', 'G'];

export interface AnswerFileInput {
  win_admin_user: string;
  win_admin_password?: Secret;
  win_image_name: string;
  win_product_key?: string;
  win_locale: string;
  win_timezone: string;
}

export function answerFileVars(vmName: string, vars: AnswerFileInput): Record<string, unknown> {
  if (!vars.win_admin_password)
    throw new Error(`${vmName}: win_admin_password is required for a Windows template`);
  let key = 0;
  return {
    vm_name: xmlEscape(vmName),
    locale: xmlEscape(vars.win_locale),
    timezone: xmlEscape(vars.win_timezone),
    image_name: xmlEscape(vars.win_image_name),
    product_key: vars.win_product_key ? xmlEscape(vars.win_product_key) : false,
    admin_user: xmlEscape(vars.win_admin_user),
    admin_password_hidden: hiddenPassword(vars.win_admin_password.reveal(), 'Password'),
    driver_paths: LETTERS.flatMap((letter) =>
      DRIVERS.map((d) => ({ key: String(++key), path: `${letter}:\\${d}\\w11\\amd64` })),
    ),
  };
}

/** A NetBIOS computer name: at most 15 characters, letters, digits and hyphens, not all digits. */
const COMPUTER_NAME = /^(?![0-9]+$)[A-Za-z0-9-]{1,15}$/;

export type FirstBootInput = Omit<AnswerFileInput, 'win_image_name' | 'win_product_key'>;

/** A clone's first boot: its computer name (its inventory name) and the administrator. */
export function firstBootVars(
  vmName: string,
  template: string,
  vars: FirstBootInput,
): Record<string, unknown> {
  if (!COMPUTER_NAME.test(vmName))
    throw new Error(
      `${vmName}: a Windows computer name is at most 15 letters, digits and hyphens; rename the VM (its inventory name)`,
    );
  if (!vars.win_admin_password)
    throw new Error(
      `${template}: win_admin_password is required for a Windows template (its clones' administrator)`,
    );
  return {
    vm_name: xmlEscape(vmName),
    computer_name: xmlEscape(vmName),
    locale: xmlEscape(vars.win_locale),
    timezone: xmlEscape(vars.win_timezone),
    admin_user: xmlEscape(vars.win_admin_user),
    admin_password_hidden: hiddenPassword(vars.win_admin_password.reveal(), 'Password'),
  };
}
