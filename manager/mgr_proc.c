/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_proc.c — NF instances that are host processes of the manager.
 *
 * The manager runs the configured command with "-s <core.socket> -r ROLE"
 * put after the program, so the NF attaches to the core itself, like any
 * host NF; its standard output and error go to <state_dir>/<name>.log. The
 * core tells which instance it is: the one whose nf<I>_pid is the process's
 * pid (SO_PEERCRED on the attach socket). A process that exits is reaped
 * here (waitpid on its pid only: the VMs' QEMUs are the launchers').
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "mgr.h"
#include "mgr_ops.h"

#define PROC_MAX_ARGS 64
#define PROC_STOP_MS 3000

/* Split @cmd (copied into @buf) into @argv with the attach options after
 * the program. Returns the count, or -E2BIG. */
static int
proc_argv(const struct mgr *m, const char *cmd, uint16_t role, char *buf, size_t len,
	  char *rolebuf, char **argv)
{
	char *save = NULL, *w;
	int n = 0;

	snprintf(buf, len, "%s", cmd);
	snprintf(rolebuf, 8, "%u", role);
	for (w = strtok_r(buf, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		if (n + 6 >= PROC_MAX_ARGS)
			return -E2BIG;
		argv[n++] = w;
		if (n == 1) {
			argv[n++] = "-s";
			argv[n++] = (char *)m->cfg.core_socket;
			argv[n++] = "-r";
			argv[n++] = rolebuf;
		}
	}
	argv[n] = NULL;
	return n;
}

/*
 * Start @cmd as NF instance @u of role @role: a child process, in a process
 * group of its own. Returns 0, or a negative errno with the reason in @err
 * (an empty command, fork failing); a program that cannot be run exits 127
 * and is seen gone by mgr_proc_poll().
 */
int
mgr_proc_start(struct mgr *m, struct mgr_unit *u, uint16_t role, const char *cmd, char *err,
	       size_t errlen)
{
	char buf[MGR_CFG_NF_LEN], rolebuf[8], *argv[PROC_MAX_ARGS], fail[512];
	sigset_t none;
	pid_t pid, parent = getpid();
	int flen, fd, n = proc_argv(m, cmd, role, buf, sizeof(buf), rolebuf, argv);

	if (n <= 0) {
		if (n == 0)
			snprintf(err, errlen, "%s: empty command", u->name);
		else /* proc_argv() adds 4 words and keeps room for the end */
			snprintf(err, errlen, "%s: more than %d words in the command", u->name,
				 PROC_MAX_ARGS - 10);
		return -EINVAL;
	}
	if (snprintf(u->log_path, sizeof(u->log_path), "%s/%s.log", m->cfg.state_dir, u->name) >=
	    (int)sizeof(u->log_path)) {
		snprintf(err, errlen, "%s: manager.state_dir is too long for its log", u->name);
		return -ENAMETOOLONG;
	}
	fd = open(u->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		n = -errno;
		snprintf(err, errlen, "%s: %s: %s", u->name, u->log_path, strerror(-n));
		return n;
	}
	/* The child may only make async-signal-safe calls (the manager has threads):
	 * its message on a failed exec is made here, the reason added there. */
	flen = snprintf(fail, sizeof(fail) - 64, "netvm-manager: %s: cannot run %s: ", u->name,
			argv[0]);
	if (flen < 0 || flen >= (int)sizeof(fail) - 64)
		flen = (int)sizeof(fail) - 65; /* what snprintf kept, without its NUL */
	pid = fork();
	if (pid < 0) {
		n = -errno;
		close(fd);
		snprintf(err, errlen, "%s: fork: %s", u->name, strerror(-n));
		return n;
	}
	if (pid == 0) {
		const char *why;
		size_t wlen;
		ssize_t w;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL); /* the manager blocks its signals */
		setpgid(0, 0);
		/* A manager that dies (SIGKILL, a crash) takes its processes with
		 * it: the next one does not adopt them and starts its own, and one
		 * left running would be an instance nobody manages. The main
		 * thread forks, so this fires when the manager ends. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
			_exit(126);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execvp(argv[0], argv);
		why = strerrordesc_np(errno);
		why = why != NULL ? why : "unknown error";
		wlen = strnlen(why, sizeof(fail) - (size_t)flen - 2);
		memcpy(fail + flen, why, wlen);
		fail[(size_t)flen + wlen] = '\n';
		w = write(STDERR_FILENO, fail, (size_t)flen + wlen + 1);
		(void)w; /* nowhere to say it failed */
		_exit(127);
	}
	close(fd);
	u->pid = pid;
	u->nf_id = -1;
	return 0;
}

/* How the child ended, from its wait @status. */
static void
proc_how(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended");
}

/*
 * Whether the process of @u runs: 1 yes (u->nf_id set once the core shows
 * its instance live in @stats, the core's /netvm/stats or NULL), 0 it has
 * ended (reaped; how in @err). Cannot fail otherwise.
 */
int
mgr_proc_poll(struct mgr_unit *u, struct json_object *stats, char *err, size_t errlen)
{
	char key[48];
	int status;

	if (u->pid <= 0) {
		snprintf(err, errlen, "not started");
		return 0;
	}
	if (waitpid(u->pid, &status, WNOHANG) == u->pid) {
		proc_how(status, err, errlen);
		u->pid = 0;
		u->nf_id = -1;
		return 0;
	}
	if (u->nf_id >= 0 || stats == NULL)
		return 1;
	json_object_object_foreach(stats, k, v) {
		long id;
		char *end;
		struct json_object *live;

		if (strncmp(k, "nf", 2) != 0 || json_object_get_int64(v) != u->pid)
			continue;
		id = strtol(k + 2, &end, 10);
		if (strcmp(end, "_pid") != 0)
			continue;
		snprintf(key, sizeof(key), "nf%ld_live", id);
		if (json_object_object_get_ex(stats, key, &live) && json_object_get_int(live) == 1)
			u->nf_id = (int)id;
	}
	return 1;
}

/* Stop the process of @u: SIGTERM (a netlib NF detaches and exits), SIGKILL
 * after PROC_STOP_MS; reaped. Safe when it is not running; cannot fail. */
void
mgr_proc_stop(struct mgr_unit *u)
{
	struct timespec ts = { 0, 20 * 1000000L };
	unsigned int waited;

	if (u->pid <= 0)
		return;
	kill(u->pid, SIGTERM);
	for (waited = 0; waited < PROC_STOP_MS; waited += 20) {
		if (waitpid(u->pid, NULL, WNOHANG) == u->pid)
			break;
		nanosleep(&ts, NULL);
	}
	if (waited >= PROC_STOP_MS) {
		kill(u->pid, SIGKILL);
		waitpid(u->pid, NULL, 0);
	}
	u->pid = 0;
	u->nf_id = -1;
}

const struct mgr_inst_method mgr_method_process = {
	.name = "process", .start = mgr_proc_start, .poll = mgr_proc_poll, .stop = mgr_proc_stop,
};
