/**
 * "Press any key to boot from CD or DVD…": the UEFI boot loader of Microsoft's Windows ISO
 * (efisys.bin's cdboot) waits a few seconds for a key before it loads Windows Setup; with no key
 * it returns to the firmware, which finds nothing else to boot (OVMF: "BdsDxe: No bootable
 * option or device was found") and the install never starts. Nothing but a key ends the wait —
 * through the API, `PUT /nodes/{node}/qemu/{vmid}/sendkey` (qemu-server vm_sendkey: QEMU's
 * `sendkey`), which needs VM.Console. quickemu and Packer's boot_command answer it the same way:
 * Enter a few times, a second apart, while the VM boots (quickemu PR #1341).
 *
 * Model: the prompt shows `bootPromptMs` after the start and waits `bootPromptWindowMs` (default
 * 5 s — a few seconds on real machines; not measured here). A key in that window starts Setup (`onKey`); keys before it are lost
 * (the loader reads the keyboard only while it asks) and keys after it change nothing; when the
 * window closes unanswered, `guest.stuck` says so and the VM sits at the firmware, running.
 */
import type { SimCore } from '../core.js';
import type { SimVm } from './model.js';

export interface BootPrompt {
  shownAt: number;
  until: number;
  passed: boolean;
  /** Every key the VM received while booting, with when (for tests). */
  keys: { key: string; at: number }[];
  onKey: () => void;
}

export const PROMPT_TIMEOUT =
  'UEFI: nobody pressed a key at "Press any key to boot from CD or DVD", so Windows Setup did not start (BdsDxe: No bootable option or device was found)';

/** Called when the Windows ISO boots: shows the prompt; `setup` runs once a key answers it. */
export function showBootPrompt(sim: SimCore, vm: SimVm, setup: () => void): void {
  const shownAt = sim.clock.now() + sim.timing.bootPromptMs;
  const prompt: BootPrompt = {
    shownAt,
    until: shownAt + sim.timing.bootPromptWindowMs,
    passed: false,
    keys: [],
    onKey: setup,
  };
  vm.guest.bootPrompt = prompt;
  vm.guest.timers.push(
    setTimeout(() => {
      if (!prompt.passed && vm.guest.bootPrompt === prompt) vm.guest.stuck = PROMPT_TIMEOUT;
    }, sim.timing.bootPromptMs + sim.timing.bootPromptWindowMs),
  );
}

/** A key from `sendkey`: answers the prompt if it is on the screen. */
export function keyPressed(sim: SimCore, vm: SimVm, key: string): void {
  const prompt = vm.guest.bootPrompt;
  const now = sim.clock.now();
  if (!prompt) return;
  prompt.keys.push({ key, at: now });
  if (prompt.passed || now < prompt.shownAt || now >= prompt.until) return;
  prompt.passed = true;
  prompt.onKey();
}
