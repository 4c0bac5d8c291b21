/**
 * The two PowerShell scripts the role runs in the guest (through lib/windows/powershell.ts):
 * `read` gathers every setting the role compares, in one guest-agent round trip; `apply` makes
 * a list of changes (ops, below). Both are constants: their data comes as JSON on stdin.
 *
 * Facts behind them (../shared/docs/research/guacamole-nginx-rdp.md §5.2):
 * - RDP on: `fDenyTSConnections` = 0 under HKLM\System\CurrentControlSet\Control\Terminal Server;
 *   NLA: `UserAuthentication` = 1 under …\Terminal Server\WinStations\RDP-Tcp.
 * - Firewall rules by their language-independent names (RemoteDesktop-UserMode-In-TCP/-UDP; the
 *   display group "Remote Desktop" is localised); scope through their address filter.
 * - Groups by SID (names are localised): Remote Desktop Users S-1-5-32-555, Administrators
 *   S-1-5-32-544.
 * - A password is compared as Ansible's win_user does: a network logon with it succeeds
 *   (PrincipalContext.ValidateCredentials on the machine context), so it is set only when it
 *   differs.
 * - Pending reboot: the Component Based Servicing and Windows Update RebootPending/RebootRequired
 *   keys, PendingFileRenameOperations, and a computer rename not yet active.
 */
import { psScript } from '../../lib/windows/powershell.js';

export const RDP_USERS_SID = 'S-1-5-32-555';
export const ADMINISTRATORS_SID = 'S-1-5-32-544';
export const TS_KEY = 'HKLM:\\System\\CurrentControlSet\\Control\\Terminal Server';
export const RDP_TCP_KEY = `${TS_KEY}\\WinStations\\RDP-Tcp`;
export const RDP_RULES = ['RemoteDesktop-UserMode-In-TCP', 'RemoteDesktop-UserMode-In-UDP'];

/** What `read` is given. */
export interface ReadInput {
  rules: string[];
  /** Local group that marks the accounts NovaStation manages. */
  marker: string;
  /** Passwords to test, for existing enabled accounts. */
  passwords: { login: string; password: unknown }[];
  gpu: boolean;
}

/** What `read` answers. */
export interface WindowsState {
  editionId: string;
  productName: string;
  build: string;
  bootTime: string;
  computer: { active: string; pending: string; hostname: string };
  fDenyTSConnections: number | null;
  userAuthentication: number | null;
  rules: { name: string; found: boolean; enabled?: boolean; remoteAddress?: string[] }[];
  users: { login: string; sid: string; enabled: boolean; fullName: string; passwordExpires: boolean }[];
  /** Members' SIDs by group: the two built-in groups by SID, the marker group by name. */
  groups: { sid: string; name: string; found: boolean; members: string[] }[];
  /** login → the password given is the account's. */
  passwordOk: Record<string, boolean>;
  pendingReboot: string[];
  virtio: { tools: string | null; agent: string | null; drivers: string[] };
  video: { name: string; driverVersion: string; pnp: string }[];
}

export const readScript = psScript(
  'windows-rdp read',
  String.raw`
$cv = Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
$os = Get-CimInstance -ClassName Win32_OperatingSystem
$ts = Get-ItemProperty 'HKLM:\System\CurrentControlSet\Control\Terminal Server'
$tcp = Get-ItemProperty 'HKLM:\System\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp'
$active = (Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\ComputerName\ActiveComputerName').ComputerName
$pending = (Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName').ComputerName
$hostname = (Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters').'NV Hostname'
$rules = @(foreach ($name in @($data.rules)) {
  $rule = Get-NetFirewallRule -Name $name -ErrorAction SilentlyContinue
  if ($rule) {
    [ordered]@{ name = $name; found = $true; enabled = ([string]$rule.Enabled -eq 'True');
      remoteAddress = @(($rule | Get-NetFirewallAddressFilter).RemoteAddress) }
  } else { [ordered]@{ name = $name; found = $false } }
})
$users = @(foreach ($u in Get-LocalUser) {
  [ordered]@{ login = $u.Name; sid = $u.SID.Value; enabled = [bool]$u.Enabled; fullName = [string]$u.FullName;
    passwordExpires = ($null -ne $u.PasswordExpires) }
})
function Members($group) {
  if (-not $group) { return @() }
  @(Get-LocalGroupMember -InputObject $group | ForEach-Object { $_.SID.Value })
}
$groups = @(
  foreach ($sid in @('S-1-5-32-555', 'S-1-5-32-544')) {
    $g = Get-LocalGroup -SID $sid
    [ordered]@{ sid = $sid; name = $g.Name; found = $true; members = @(Members $g) }
  }
  $marker = Get-LocalGroup -Name $data.marker -ErrorAction SilentlyContinue
  [ordered]@{ sid = $(if ($marker) { $marker.SID.Value } else { '' }); name = $data.marker; found = [bool]$marker;
    members = @(Members $marker) }
)
Add-Type -AssemblyName System.DirectoryServices.AccountManagement
$machine = New-Object System.DirectoryServices.AccountManagement.PrincipalContext ([System.DirectoryServices.AccountManagement.ContextType]::Machine)
$passwordOk = [ordered]@{}
foreach ($p in @($data.passwords)) { $passwordOk[$p.login] = $machine.ValidateCredentials($p.login, $p.password) }
$reasons = @()
if (Test-Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending') { $reasons += 'component servicing' }
if (Test-Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired') { $reasons += 'Windows Update' }
if ((Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager').PendingFileRenameOperations) { $reasons += 'file rename operations' }
if ($active -ne $pending) { $reasons += 'computer rename' }
$uninstall = @(Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*', 'HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*' -ErrorAction SilentlyContinue)
$tools = $uninstall | Where-Object { $_.DisplayName -like 'Virtio-win-guest-tools*' } | Select-Object -First 1
$agent = $uninstall | Where-Object { $_.DisplayName -like 'QEMU guest agent*' } | Select-Object -First 1
$drivers = @(foreach ($d in @('viostor', 'vioscsi', 'netkvm', 'balloon', 'vioser')) {
  if (Test-Path "HKLM:\SYSTEM\CurrentControlSet\Services\$d") { $d } })
$video = @()
if ($data.gpu) {
  $video = @(foreach ($v in Get-CimInstance -ClassName Win32_VideoController) {
    [ordered]@{ name = [string]$v.Name; driverVersion = [string]$v.DriverVersion; pnp = [string]$v.PNPDeviceID } })
}
$out = [ordered]@{
  editionId = [string]$cv.EditionID; productName = [string]$cv.ProductName; build = [string]$cv.CurrentBuild
  bootTime = $os.LastBootUpTime.ToUniversalTime().ToString('o')
  computer = [ordered]@{ active = $active; pending = $pending; hostname = $hostname }
  fDenyTSConnections = $ts.fDenyTSConnections; userAuthentication = $tcp.UserAuthentication
  rules = $rules; users = $users; groups = $groups; passwordOk = $passwordOk; pendingReboot = $reasons
  virtio = [ordered]@{ tools = $(if ($tools) { [string]$tools.DisplayVersion } else { $null });
    agent = $(if ($agent) { [string]$agent.DisplayVersion } else { $null }); drivers = $drivers }
  video = $video
}
`,
);

/** One change `apply` makes; they run in order, the first failure stops the rest. */
export type ApplyOp =
  | { op: 'registry'; path: string; name: string; value: number }
  | { op: 'firewall-rule'; rule: string; remoteAddress: string[] }
  | { op: 'marker-group'; name: string; description: string }
  | { op: 'create-user'; login: string; fullName: string; description: string; password: unknown }
  | { op: 'set-password'; login: string; password: unknown }
  | { op: 'set-user'; login: string; fullName: string; enabled: boolean }
  | { op: 'add-member'; group: string; login: string }
  | { op: 'remove-member'; group: string; login: string }
  | { op: 'remove-user'; login: string; removeProfile: boolean }
  | { op: 'rename-computer'; name: string }
  | { op: 'reboot'; reason: string };

/** `group` of add/remove-member: a SID (S-1-5-32-…) or the marker group's name. */
export const applyScript = psScript(
  'windows-rdp apply',
  String.raw`
function Group-Of($group) {
  if ($group -like 'S-1-*') { Get-LocalGroup -SID $group } else { Get-LocalGroup -Name $group }
}
$done = 0
foreach ($op in @($data.ops)) {
  try {
    switch ($op.op) {
      'registry' { Set-ItemProperty -Path $op.path -Name $op.name -Value ([int]$op.value) -Type DWord }
      'firewall-rule' { Set-NetFirewallRule -Name $op.rule -Enabled True -RemoteAddress ([string[]]@($op.remoteAddress)) }
      'marker-group' { New-LocalGroup -Name $op.name -Description $op.description | Out-Null }
      'create-user' {
        $pw = ConvertTo-SecureString -String $op.password -AsPlainText -Force
        New-LocalUser -Name $op.login -FullName $op.fullName -Description $op.description -Password $pw -PasswordNeverExpires -AccountNeverExpires | Out-Null
      }
      'set-password' { Set-LocalUser -Name $op.login -Password (ConvertTo-SecureString -String $op.password -AsPlainText -Force) }
      'set-user' {
        Set-LocalUser -Name $op.login -FullName $op.fullName -PasswordNeverExpires $true
        if ($op.enabled) { Enable-LocalUser -Name $op.login } else { Disable-LocalUser -Name $op.login }
      }
      'add-member' { Add-LocalGroupMember -Group (Group-Of $op.group) -Member $op.login }
      'remove-member' { Remove-LocalGroupMember -Group (Group-Of $op.group) -Member $op.login }
      'remove-user' {
        $sid = (Get-LocalUser -Name $op.login).SID.Value
        Remove-LocalUser -Name $op.login
        if ($op.removeProfile) { Get-CimInstance -ClassName Win32_UserProfile | Where-Object { $_.SID -eq $sid } | Remove-CimInstance }
      }
      'rename-computer' { Rename-Computer -NewName $op.name -Force }
      'reboot' {
        & shutdown.exe /r /t 5 /d p:4:1 /c ('NovaStation: ' + $op.reason)
        if ($LASTEXITCODE -ne 0) { throw "shutdown.exe exited with $LASTEXITCODE" }
      }
      default { throw "unknown op $($op.op)" }
    }
  } catch {
    throw ('op {0} of {1} ({2}): {3}' -f ($done + 1), @($data.ops).Count, $op.op, $_.Exception.Message)
  }
  $done++
}
$out = [ordered]@{ done = $done }
`,
);
