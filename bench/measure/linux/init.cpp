// /init of the Linux peer's initramfs (tools/measure/linux.sh): mounts
// devtmpfs, proc and sysfs, makes the serial console its stdout, prints the
// kernel release, command line and CPU vulnerability status, runs each
// benchmark program in turn (they print `measure:` lines,
// bench/measure/harness.hpp), then powers the machine off so QEMU exits.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

const char* const kPrograms[] = {"/bin/getpid", "/bin/pipe", "/bin/futex", "/bin/uring",
                                 "/bin/scm_rights"};

void console() {
    mount("devtmpfs", "/dev", "devtmpfs", 0, nullptr);
    mount("proc", "/proc", "proc", 0, nullptr);
    mount("sysfs", "/sys", "sysfs", 0, nullptr);
    int fd = open("/dev/console", O_RDWR);
    if (fd < 0) fd = open("/dev/ttyS0", O_RDWR);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2) close(fd);
    }
    setvbuf(stdout, nullptr, _IOLBF, 0);
}

// Prints the first line of a small text file after `label`.
void print_file(const char* label, const char* path) {
    char buf[256] = {};
    int fd = open(path, O_RDONLY);
    if (fd < 0) return;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) return;
    buf[n] = '\0';
    if (char* nl = strchr(buf, '\n')) *nl = '\0';
    printf("%s%s\n", label, buf);
}

// What the kernel decided about each CPU vulnerability on this CPU model
// (the mitigations=off and default boots differ only where it matters).
void print_vulnerabilities() {
    const std::string dir = "/sys/devices/system/cpu/vulnerabilities";
    DIR* d = opendir(dir.c_str());
    if (!d) return;
    std::vector<std::string> names;
    while (dirent* e = readdir(d))
        if (e->d_name[0] != '.') names.emplace_back(e->d_name);
    closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names)
        print_file(("measure-linux: vulnerability " + n + ": ").c_str(), (dir + "/" + n).c_str());
}

}  // namespace

int main() {
    console();
    utsname u{};
    uname(&u);
    printf("measure-linux: kernel %s %s\n", u.release, u.version);
    char cmdline[512] = {};
    int fd = open("/proc/cmdline", O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, cmdline, sizeof(cmdline) - 1);
        if (n > 0 && cmdline[n - 1] == '\n') cmdline[n - 1] = '\0';
        close(fd);
    }
    printf("measure-linux: cmdline %s\n", cmdline);
    print_vulnerabilities();
    int failed = 0;
    for (const char* prog : kPrograms) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            char* const argv[] = {const_cast<char*>(prog), nullptr};
            char* const envp[] = {nullptr};
            execve(prog, argv, envp);
            _exit(127);
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid) status = -1;
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
        if (code != 0) ++failed;
        printf("measure-linux: %s exited with %d\n", prog, code);
    }
    printf("measure-linux: done, %d program(s) failed\n", failed);
    fflush(stdout);
    sync();
    reboot(RB_POWER_OFF);
    return 0;
}
