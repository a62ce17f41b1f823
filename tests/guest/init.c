// SPDX-License-Identifier: GPL-2.0
/*
 * init - the guest's first user-space process: runs the test plan and reports
 * KTAP.
 *
 * The initramfs holds this program as /init, the plan as /tests/plan and
 * whatever the plan names.  Each line of the plan is one test:
 *
 *   insmod FILE.ko      load a module (finit_module)
 *   rmmod NAME          unload a module (delete_module)
 *   exec PROG [ARG...]  run a program whose stdout is KTAP; it becomes a
 *                       subtest, passing when the program exits with 0
 *   write PATH VALUE    write VALUE to PATH (sysfs, debugfs: fault injection)
 *
 * Two checks always follow the plan: a kmemleak scan that must find nothing,
 * and the kernel log, which must hold no report of a detector (KASAN,
 * lockdep, a WARNING or BUG, ...) since boot.
 *
 * KTAP goes to the device the command line names as "ktap=" (default
 * /dev/ttyS1; arm64 uses a virtio console, /dev/hvc0), which the host reads
 * as a file and hands to kunit.py; everything is echoed to the console as
 * well.  The guest then reboots, which ends QEMU (-no-reboot).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PLAN_PATH	"/tests/plan"
#define MAX_STEPS	256
#define MAX_ARGS	32
#define STEP_TIMEOUT_S	600

static FILE *ktap;		/* the KTAP channel, read by the host */
static FILE *con;		/* the console, read by a person */

static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(ktap, fmt, ap);
	va_end(ap);
	fflush(ktap);
	if (con != ktap) {
		va_start(ap, fmt);
		vfprintf(con, fmt, ap);
		va_end(ap);
		fflush(con);
	}
}

static void result(int n, int ok, const char *name, const char *why)
{
	out("%sok %d %s%s%s\n", ok ? "" : "not ", n, name, why ? " # " : "",
	    why ? why : "");
}

static void mount_or_warn(const char *src, const char *dst, const char *type)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, NULL) && errno != EBUSY)
		fprintf(con, "init: mount %s on %s: %s\n", type, dst, strerror(errno));
}

static int step_insmod(const char *path, char *why, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, len, "open %s: %s", path, strerror(errno));
		return 0;
	}
	if (syscall(SYS_finit_module, fd, "", 0)) {
		snprintf(why, len, "finit_module %s: %s", path, strerror(errno));
		close(fd);
		return 0;
	}
	close(fd);
	return 1;
}

static int step_write(const char *path, const char *value, char *why, size_t len)
{
	size_t n = strlen(value);
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, len, "open %s: %s", path, strerror(errno));
		return 0;
	}
	if (write(fd, value, n) != (ssize_t)n) {
		snprintf(why, len, "write %s to %s: %s", value, path, strerror(errno));
		close(fd);
		return 0;
	}
	close(fd);
	return 1;
}

static int step_rmmod(const char *name, char *why, size_t len)
{
	if (syscall(SYS_delete_module, name, O_NONBLOCK)) {
		snprintf(why, len, "delete_module %s: %s", name, strerror(errno));
		return 0;
	}
	return 1;
}

/* Runs ARGV with its stdout indented into the KTAP stream as a subtest. */
static int step_exec(char **argv, char *why, size_t len)
{
	int pipefd[2], status;
	char line[4096];
	pid_t pid;
	FILE *from;

	if (pipe2(pipefd, O_CLOEXEC)) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		return 0;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return 0;
	}
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		alarm(STEP_TIMEOUT_S);
		execv(argv[0], argv);
		printf("# exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	from = fdopen(pipefd[0], "r");
	while (fgets(line, sizeof(line), from))
		out("        %s%s", line, strchr(line, '\n') ? "" : "\n");
	fclose(from);
	if (waitpid(pid, &status, 0) < 0) {
		snprintf(why, len, "waitpid: %s", strerror(errno));
		return 0;
	}
	if (WIFSIGNALED(status)) {
		snprintf(why, len, "killed by signal %d", WTERMSIG(status));
		return 0;
	}
	if (WEXITSTATUS(status)) {
		snprintf(why, len, "exit status %d", WEXITSTATUS(status));
		return 0;
	}
	return 1;
}

static int check_kmemleak(char *why, size_t len)
{
	static const char path[] = "/sys/kernel/debug/kmemleak";
	char buf[512];
	size_t n, total = 0;
	FILE *f;
	int i;

	if (access(path, F_OK)) {
		/* A kernel without kmemleak (make bench): nothing to check. */
		snprintf(why, len, "SKIP no kmemleak in this kernel");
		return 1;
	}
	/* Two scans: an object must look unreferenced twice to be reported. */
	for (i = 0; i < 2; i++) {
		f = fopen(path, "w");
		if (!f || fputs("scan", f) < 0 || fclose(f)) {
			snprintf(why, len, "cannot trigger a scan through %s", path);
			return 0;
		}
	}
	f = fopen(path, "r");
	if (!f) {
		snprintf(why, len, "cannot read %s", path);
		return 0;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		fwrite(buf, 1, n, con);
		total += n;
	}
	fclose(f);
	if (total) {
		snprintf(why, len, "kmemleak reported leaks (see the console)");
		return 0;
	}
	return 1;
}

/*
 * What a detector prints when it finds something: one fixed string per line
 * of /tests/reports (tests/config/detector-reports, also used by the host for
 * the KUnit boot's log).
 */
#define REPORTS_PATH	"/tests/reports"
#define MAX_REPORTS	64

static char *reports[MAX_REPORTS];
static int nr_reports;

static int read_reports(void)
{
	char line[256];
	FILE *f = fopen(REPORTS_PATH, "r");

	if (!f)
		return 0;
	while (nr_reports < MAX_REPORTS && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0])
			reports[nr_reports++] = strdup(line);
	}
	fclose(f);
	return nr_reports;
}

static int check_kernel_log(char *why, size_t len)
{
	char rec[8192];
	int fd, found = 0, i;
	ssize_t n;

	if (!read_reports()) {
		snprintf(why, len, "no report patterns in %s", REPORTS_PATH);
		return 0;
	}
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, len, "open /dev/kmsg: %s", strerror(errno));
		return 0;
	}
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: read on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		for (i = 0; i < nr_reports; i++) {
			if (strstr(rec, reports[i])) {
				if (!found)
					snprintf(why, len, "kernel log: %.200s",
						 strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
				found = 1;
			}
		}
	}
	close(fd);
	return !found;
}

static char *plan[MAX_STEPS];

/*
 * The name of a step's result: the program's name for exec (a test program
 * names its subtest the same way, see ktap.h), else the verb and the file.
 */
static void step_name(const char *line, char *name, size_t len)
{
	char verb[16] = "", arg[1024] = "";
	const char *base;

	if (sscanf(line, "%15s %1023s", verb, arg) != 2) {
		snprintf(name, len, "bad_plan_line");
		return;
	}
	base = strrchr(arg, '/') ? strrchr(arg, '/') + 1 : arg;
	if (!strcmp(verb, "exec"))
		snprintf(name, len, "%s", base);
	else
		snprintf(name, len, "%s_%s", verb, base);
}

static int read_plan(void)
{
	char line[1024];
	int n = 0;
	FILE *f = fopen(PLAN_PATH, "r");

	if (!f)
		return 0;
	while (n < MAX_STEPS && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		plan[n++] = strdup(line);
	}
	fclose(f);
	return n;
}

static int run_step(char *line, char *why, size_t len)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;
	char *save, *tok;

	for (tok = strtok_r(line, " \t", &save); tok && argc < MAX_ARGS;
	     tok = strtok_r(NULL, " \t", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	if (argc < 2) {
		snprintf(why, len, "bad plan line");
		return 0;
	}
	if (!strcmp(argv[0], "insmod"))
		return step_insmod(argv[1], why, len);
	if (!strcmp(argv[0], "rmmod"))
		return step_rmmod(argv[1], why, len);
	if (!strcmp(argv[0], "exec"))
		return step_exec(argv + 1, why, len);
	if (!strcmp(argv[0], "write") && argc == 3)
		return step_write(argv[1], argv[2], why, len);
	snprintf(why, len, "unknown plan verb '%s'", argv[0]);
	return 0;
}

int main(void)
{
	char why[512], name[1100];
	int steps, i, n = 0, ok, failed = 0;
	const char *ktap_dev;

	mount_or_warn("devtmpfs", "/dev", "devtmpfs");
	mount_or_warn("proc", "/proc", "proc");
	mount_or_warn("sysfs", "/sys", "sysfs");
	mount_or_warn("debugfs", "/sys/kernel/debug", "debugfs");
	mount_or_warn("tmpfs", "/tmp", "tmpfs");

	con = fopen("/dev/console", "w");
	if (!con)
		con = stdout;
	/* "ktap=DEV" on the kernel's command line reaches us as $ktap. */
	ktap_dev = getenv("ktap");
	if (!ktap_dev)
		ktap_dev = "/dev/ttyS1";
	ktap = fopen(ktap_dev, "w");
	if (!ktap) {
		fprintf(con, "init: no %s (%s), KTAP on the console\n", ktap_dev,
			strerror(errno));
		ktap = con;
	}
	setvbuf(con, NULL, _IOLBF, 0);
	/* Children write their own output through the pipe; keep them quiet here. */
	signal(SIGPIPE, SIG_IGN);

	steps = read_plan();
	out("KTAP version 1\n");
	out("1..1\n");
	out("    KTAP version 1\n");
	out("    # Subtest: guest\n");
	out("    1..%d\n", steps + 2);
	for (i = 0; i < steps; i++) {
		step_name(plan[i], name, sizeof(name));
		why[0] = '\0';
		ok = run_step(plan[i], why, sizeof(why));
		failed |= !ok;
		out("    ");
		result(++n, ok, name, why[0] ? why : NULL);
	}
	why[0] = '\0';
	ok = check_kmemleak(why, sizeof(why));
	failed |= !ok;
	out("    ");
	result(++n, ok, "kmemleak_clean", why[0] ? why : NULL);
	why[0] = '\0';
	ok = check_kernel_log(why, sizeof(why));
	failed |= !ok;
	out("    ");
	result(++n, ok, "kernel_log_clean", why[0] ? why : NULL);
	result(1, !failed, "guest", NULL);

	fflush(NULL);
	sync();
	reboot(RB_AUTOBOOT);
	return 0;
}
