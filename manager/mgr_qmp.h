/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mgr_qmp.h — the manager's QMP client (mgr_qmp.c): one command at a time,
 * every read with a deadline and a bounded buffer. Used for idle VMs
 * (mgr_idle*.c) and for vm migrate (mgr_migrate.c).
 *
 * Errors: 0 or a negative errno, a message in the caller's buffer.
 */
#ifndef NETVM_MGR_QMP_H
#define NETVM_MGR_QMP_H

#include <stddef.h>
#include <sys/types.h>

struct json_object;

#define MGR_QMP_BUF 8192

struct mgr_qmp {
	int fd;
	unsigned int id; /* of the last command sent, echoed in its answer */
	size_t len;
	char buf[MGR_QMP_BUF];
};

void mgr_qmp_init(struct mgr_qmp *q);
int mgr_qmp_connect(struct mgr_qmp *q, const char *path, int timeout_ms, char *err,
		    size_t errlen);
int mgr_qmp_connect_pid(struct mgr_qmp *q, const char *path, pid_t pid, int timeout_ms,
			char *err, size_t errlen);
int mgr_qmp_cmd(struct mgr_qmp *q, struct json_object *cmd, int fd, int timeout_ms,
		struct json_object **ret, char *err, size_t errlen);
int mgr_qmp_exec(struct mgr_qmp *q, const char *name, struct json_object *args, int fd,
		 int timeout_ms, struct json_object **ret, char *err, size_t errlen);
int mgr_qmp_status(struct mgr_qmp *q, int timeout_ms, char *buf, size_t len, char *err,
		   size_t errlen);
int mgr_qmp_wait_deleted(struct mgr_qmp *q, const char *const *ids, unsigned int n,
			 int timeout_ms, char *err, size_t errlen);
void mgr_qmp_close(struct mgr_qmp *q);

#endif /* NETVM_MGR_QMP_H */
