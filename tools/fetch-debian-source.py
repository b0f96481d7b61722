#!/usr/bin/env python3
"""Fetch one pinned Debian source package, verify it, unpack it.

    fetch-debian-source.py PIN_FILE DEST_DIR

PIN_FILE (tools/debian-sources/*.pin) names the package, the exact version,
the suite and the sha256 of each file. The script:

1. writes a private apt configuration under DEST_DIR/apt (its own
   sources.list with one deb-src line, lists, cache; the system's apt
   configuration and state are never read or changed) and runs
   `apt-get update` with it; apt checks the Release signature against
   Debian's archive keyring;
2. reads the signed Sources index (`apt-cache showsrc`) and fails unless it
   lists the pinned version with exactly the pinned sha256 values;
3. runs `apt-get source --download-only PACKAGE=VERSION` into
   DEST_DIR/download and verifies every file it got against the pin (the
   orig tarball is required; the .dsc and Debian packaging are used when
   the mirror serves them);
4. unpacks into DEST_DIR/TREE (dpkg-source -x when the .dsc is there,
   otherwise the orig tarball alone) and writes DEST_DIR/TREE.stamp.

Nothing is fetched when the stamp already names this pin's content, so a
second build does not fetch again. Exit status 0 on success, 1 with one
`fetch-debian-source: ...` line on stderr otherwise.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile

KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
MIRROR = "http://deb.debian.org/debian"


def fail(msg):
    print(f"fetch-debian-source: {msg}", file=sys.stderr)
    sys.exit(1)


def read_pin(path):
    pin = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, _, value = line.partition("=")
            pin[key.strip()] = value.strip()
    for key in ("package", "version", "suite", "component", "orig", "tree"):
        if key not in pin:
            fail(f"{path}: no {key}=")
    files = {}
    for key in ("orig", "dsc", "debian"):
        if key in pin:
            name, sha = pin[key].split()
            files[key] = (name, sha.lower())
    pin["files"] = files
    return pin


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def apt_options(apt_dir):
    return [
        "-o", f"Dir::Etc::SourceList={apt_dir}/sources.list",
        "-o", f"Dir::Etc::SourceParts={apt_dir}/sources.list.d",
        "-o", f"Dir::State::Lists={apt_dir}/lists",
        "-o", f"Dir::Cache={apt_dir}/cache",
        "-o", "Debug::NoLocking=1",
        "-o", "APT::Sandbox::User=root",
        "-q",
    ]


def check_index(pin, opts):
    out = subprocess.run(["apt-cache", *opts, "showsrc", pin["package"]],
                         capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"apt-cache showsrc {pin['package']} failed: {out.stderr.strip()}")
    # Records are separated by blank lines; find the pinned version's.
    for record in out.stdout.split("\n\n"):
        lines = record.splitlines()
        if f"Version: {pin['version']}" not in lines:
            continue
        sums = {}
        in_sums = False
        for line in lines:
            if line.startswith("Checksums-Sha256:"):
                in_sums = True
                continue
            if in_sums and line.startswith(" "):
                sha, _size, name = line.split()
                sums[name] = sha
            else:
                in_sums = False
        for name, sha in pin["files"].values():
            if sums.get(name) != sha:
                fail(f"{name}: the signed index says {sums.get(name)}, the pin {sha}")
        return
    fail(f"the {pin['suite']} index has no {pin['package']} {pin['version']}")


def main():
    if len(sys.argv) != 3:
        fail("usage: fetch-debian-source.py PIN_FILE DEST_DIR")
    pin_path, dest = sys.argv[1], os.path.abspath(sys.argv[2])
    pin = read_pin(pin_path)
    tree = os.path.join(dest, pin["tree"])
    stamp = tree + ".stamp"
    identity = f"{pin['package']} {pin['version']} " + " ".join(
        sha for _, sha in sorted(pin["files"].values()))
    if os.path.isdir(tree) and os.path.exists(stamp) and open(stamp).read().strip() == identity:
        return 0

    apt_dir = os.path.join(dest, "apt")
    for sub in ("sources.list.d", "lists/partial", "cache/archives/partial"):
        os.makedirs(os.path.join(apt_dir, sub), exist_ok=True)
    with open(os.path.join(apt_dir, "sources.list"), "w") as f:
        f.write(f"deb-src [signed-by={KEYRING}] {MIRROR} {pin['suite']} {pin['component']}\n")
    opts = apt_options(apt_dir)
    upd = subprocess.run(["apt-get", *opts, "update"], capture_output=True, text=True)
    if upd.returncode != 0:
        fail(f"apt-get update failed: {upd.stderr.strip()}")
    check_index(pin, opts)

    download = os.path.join(dest, "download")
    os.makedirs(download, exist_ok=True)
    # Files that fail to download are judged below by what is present.
    subprocess.run(["apt-get", *opts, "source", "--download-only",
                    f"{pin['package']}={pin['version']}"],
                   cwd=download, capture_output=True, text=True)
    present = {}
    for key, (name, sha) in pin["files"].items():
        path = os.path.join(download, name)
        if not os.path.exists(path):
            continue
        got = sha256(path)
        if got != sha:
            os.unlink(path)
            fail(f"{name}: sha256 {got}, pinned {sha}")
        present[key] = path
    if "orig" not in present:
        fail(f"could not download {pin['files']['orig'][0]}")

    if os.path.exists(tree):
        shutil.rmtree(tree)
    work = os.path.join(dest, "unpack")
    if os.path.exists(work):
        shutil.rmtree(work)
    if "dsc" in present and "debian" in present:
        subprocess.run(["dpkg-source", "--no-check", "-x", present["dsc"], work],
                       check=True, capture_output=True)
        os.rename(work, tree)
        how = "dpkg-source -x"
    else:
        os.makedirs(work)
        with tarfile.open(present["orig"]) as t:
            for m in t.getmembers():
                if not (m.isfile() or m.isdir()) or m.name.startswith("/") or ".." in m.name.split("/"):
                    fail(f"{pin['files']['orig'][0]}: refusing member {m.name}")
            t.extractall(work)
        entries = os.listdir(work)
        if len(entries) != 1:
            fail(f"{pin['files']['orig'][0]}: expected one top directory, got {entries}")
        os.rename(os.path.join(work, entries[0]), tree)
        os.rmdir(work)
        how = "orig tarball only (the mirror did not serve the .dsc)"
    # Give every file the time of unpacking: the build lists them as outputs
    # of this step, and an output older than its inputs (the archive keeps
    # 2019 times) would make every build run the step again.
    for root, _dirs, names in os.walk(tree):
        for name in names:
            os.utime(os.path.join(root, name))
    with open(stamp, "w") as f:
        f.write(identity + "\n")
    print(f"fetch-debian-source: {pin['package']} {pin['version']} verified, unpacked by {how}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
