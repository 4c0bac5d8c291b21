/**
 * The program that replaces a file (or a symlink) on a host: ONE perl process does the whole
 * write, so a write costs at most three processes on the host (the command's subshell, the one
 * that hands it stdin, and this), fsync included. Perl because `perl-base` is Essential on Debian,
 * Ubuntu and Proxmox VE: it is on every host we manage, and only its own modules are used
 * (Fcntl, IO's fsync, File::Path — all in perl-base; no Digest::SHA there, see `size` below).
 *
 * argv: OP TARGET ARG MODE OWNER GROUP VALIDATE BACKUP_STAMP REPLACE_DIR
 *   OP           `file` (content: exactly ARG bytes on stdin), `link` (symlink to ARG), or
 *                `clean` (step 1 only)
 *   MODE, OWNER, GROUP, VALIDATE, BACKUP_STAMP  empty when not asked for
 *   REPLACE_DIR  `1`: a real directory in the way of a link is removed first
 *
 * Steps (exit codes: 97 content cut off, 96 temp tampered with, 98 validation failed):
 *  1. temps of earlier writes of this path whose writer is dead are removed. A temp's name holds
 *     its writer's PID (`.<base>.ns-<6 base-36 PID digits><2 random>~`), so a concurrent writer's
 *     temp — another host of the same machine, another run — is never taken from under it;
 *  2. the temp is created O_EXCL|O_NOFOLLOW (it is ours: a symlink planted in a user-owned folder
 *     is refused, never followed), mode 0600 until the content is complete;
 *  3. content is streamed from stdin to the temp in 1 MiB pieces: memory stays small whatever the
 *     size, and exactly `size` bytes must arrive: a controller killed mid-transfer closes stdin
 *     early and the write is refused. (The transport itself is integrity-checked by SSH's MAC or
 *     is a local pipe: the only corruption to fear is truncation, which the size catches.)
 *  4. owner, then mode (chown clears set-id bits) through the open handle: copied from the file
 *     being replaced unless asked; 0644 for a new file;
 *  5. fsync of the temp, so after a power cut the renamed file is never empty;
 *  6. the validator (`%s` = the temp) runs on the complete, final-permission temp;
 *  7. an optional backup: a hard link to the old inode, `.<base>.<stamp>~`;
 *  8. the temp's name must still be our inode (else 96), then rename(2) over the target, then
 *     fsync of the folder so the rename itself survives a power cut.
 */
export const ATOMIC_REPLACE_PL = String.raw`
use strict;
use Fcntl qw(O_WRONLY O_CREAT O_EXCL O_NOFOLLOW O_RDONLY O_DIRECTORY);
# fsync is IO::Handle::sync, which lives in IO's XS part: loaded alone (1 ms) rather than with
# IO::Handle.pm and what it pulls in (Symbol, SelectSaver, Carp: ~15 ms of a write's ~30 ms of
# perl start-up on a test host), and called as a function, never as a method (a method call on
# a handle would load IO::File and all of that again). No "use warnings" either (~4 ms).
{ package IO::Handle; require XSLoader; XSLoader::load('IO'); }
my ($op, $target, $arg, $mode, $owner, $group, $validate, $stamp, $replace_dir) = @ARGV;
my ($dir, $base) = $target =~ m{\A(.*)/([^/]+)\z}s ? ($1, $2) : ('.', $target);
$dir = '/' if $dir eq '';
my $tmp;
sub fail { my ($code, $msg) = @_; unlink $tmp if defined $tmp; print STDERR "$msg\n" if length $msg; exit $code }
sub b36 { my $n = shift; my $s = ''; do { $s = (0..9, 'a'..'z')[$n % 36] . $s; $n = int($n / 36) } while $n; sprintf('%6s', $s) =~ tr/ /0/r }
sub alive { my $pid = shift; return 1 if $pid == $$; return kill(0, $pid) || $!{EPERM} }

# 1. Temps a dead writer left (old-style names, not ours to decode, count as dead).
if (opendir my $dh, $dir) {
  for my $name (readdir $dh) {
    next unless $name =~ /\A\.\Q$base\E\.ns-([A-Za-z0-9]{8})~\z/;
    my $id = $1;
    my $pid = $id =~ /\A([0-9a-z]{6})[0-9a-z]{2}\z/ ? do { my $n = 0; $n = $n * 36 + index('0123456789abcdefghijklmnopqrstuvwxyz', $_) for split //, $1; $n } : 0;
    next if $pid > 1 && alive($pid);
    unlink "$dir/$name";
  }
  closedir $dh;
}
exit 0 if $op eq 'clean';

# 2. Our temp.
my $fh;
for (1 .. 100) {
  my $name = sprintf('.%s.ns-%s%s~', $base, b36($$), join('', map { (0..9, 'a'..'z')[int rand 36] } 1 .. 2));
  $tmp = "$dir/$name";
  if ($op eq 'link') { last if symlink $arg, $tmp }
  else { last if sysopen $fh, $tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600 }
  my $why = "$!";
  undef $tmp;
  fail(1, "cannot create a temp file in $dir: $why; $target left unchanged") unless $!{EEXIST};
}
fail(1, "no free temp name in $dir; $target left unchanged") unless defined $tmp;

if ($op eq 'file') {
  # 3. Exactly $arg bytes from stdin.
  binmode STDIN; binmode $fh;
  my $left = $arg;
  while ($left > 0) {
    my $got = sysread STDIN, my $buf, $left < 1048576 ? $left : 1048576;
    fail(1, "reading the content: $!; $target left unchanged") unless defined $got;
    last if $got == 0;
    my $off = 0;
    while ($off < $got) {
      my $put = syswrite $fh, $buf, $got - $off, $off;
      fail(1, "writing $tmp: $!; $target left unchanged") unless defined $put;
      $off += $put;
    }
    $left -= $got;
  }
  fail(97, "incomplete content (expected $arg bytes): the transfer was cut off; $target left unchanged") if $left;

  # 4. Owner, then mode, through the handle.
  my @ref = stat $target;
  my ($uid, $gid) = (-1, -1);
  ($uid, $gid) = @ref[4, 5] if @ref && !(length $owner && length $group);
  if (length $owner) { $uid = $owner =~ /\A\d+\z/ ? $owner : (getpwnam $owner)[2]; fail(1, "unknown user $owner; $target left unchanged") unless defined $uid }
  if (length $group) { $gid = $group =~ /\A\d+\z/ ? $group : (getgrnam $group)[2]; fail(1, "unknown group $group; $target left unchanged") unless defined $gid }
  if ($uid != -1 || $gid != -1) { chown $uid, $gid, $fh or fail(1, "chown $tmp: $!; $target left unchanged") }
  my $perm = length $mode ? oct $mode : @ref ? $ref[2] & 07777 : 0644;
  chmod $perm, $fh or fail(1, "chmod $tmp: $!; $target left unchanged");

  # 5. Durable before it is renamed.
  IO::Handle::sync($fh) or fail(1, "fsync $tmp: $!; $target left unchanged");

  # 6. The validator sees the final bytes, mode and owner.
  if (length $validate) {
    $ENV{NS_TMP} = $tmp;
    my $out = readpipe(q{exec 2>&1 </dev/null; } . $validate);
    if ($? != 0) { print STDERR $out; fail(98, '') }
  }
  # 7. The old inode, kept under a name no include glob loads.
  if (length $stamp && -f $target && !-l $target) {
    my $bak = "$dir/.$base.$stamp~";
    link $target, $bak or fail(1, "backup $bak: $!; $target left unchanged");
    print "backup $bak\n";
  }
  # 8. Still our inode under the temp's name?
  my @mine = stat $fh; my @now = lstat $tmp;
  if (!@now || $now[0] != $mine[0] || $now[1] != $mine[1]) {
    undef $tmp;
    fail(96, "temp file was replaced by someone else; $target left unchanged");
  }
} elsif ($replace_dir && -d $target && !-l $target) {
  require File::Path;
  File::Path::remove_tree($target, { safe => 0, error => \my $errors });
  fail(1, "removing the directory $target: " . join('; ', map { values %$_ } @$errors)) if @$errors;
}

rename $tmp, $target or fail(1, "rename to $target: $!");
undef $tmp;
if (sysopen my $dh, $dir, O_RDONLY | O_DIRECTORY) { IO::Handle::sync($dh) }
exit 0;
`;
