// SPDX-License-Identifier: BSD-2-Clause
/*
 * Replay driver for the fuzz targets without libFuzzer (libgit2's
 * fuzzers/standalone_driver.c model): every file named on the command line,
 * and every file of every directory named, goes once through
 * LLVMFuzzerTestOneInput.  ctest runs it over the checked-in corpus, so a
 * crash found once stays fixed.
 *
 * Each input runs in a child process under a watchdog (REPLAY_TIMEOUT
 * seconds), so a crash or a hang names its input and the others still run.
 * Inputs named "xfail-*" reproduce known, unfixed library bugs: they are
 * expected to crash or hang (XFAIL); one that passes (XPASS) fails the
 * replay, so that it gets renamed once the bug is fixed.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Far above any seed; a larger file is a mistake in the corpus. */
#define REPLAY_MAX_SIZE (64u << 20)
/* Seconds per input; libFuzzer runs use -timeout=10 as well. */
#define REPLAY_TIMEOUT 10

struct tally {
	unsigned pass, fail, xfail, xpass;
};

/* In the child: read path and run it; exit 0 on success. */
static void __attribute__((noreturn))
child(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;

	if (!f || fstat(fileno(f), &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > REPLAY_MAX_SIZE) {
		fprintf(stderr, "replay: %s: larger than %u bytes\n", path,
			REPLAY_MAX_SIZE);
		exit(2);
	}
	size_t size = st.st_size;
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf || fread(buf, 1, size, f) != size) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		exit(2);
	}
	fclose(f);
	alarm(REPLAY_TIMEOUT);
	LLVMFuzzerTestOneInput(buf, size);
	free(buf);
	exit(0); /* exit, not _exit: LeakSanitizer checks here */
}

static void
run_file(const char *path, const char *name, struct tally *t)
{
	bool xfail = strncmp(name, "xfail-", 6) == 0;
	char what[64];

	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		perror("replay: fork");
		exit(2);
	}
	if (pid == 0)
		child(path);
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			perror("replay: waitpid");
			exit(2);
		}
	}
	bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		snprintf(what, sizeof(what), "hung (over %d s)",
			 REPLAY_TIMEOUT);
	else if (WIFSIGNALED(st))
		snprintf(what, sizeof(what), "died of signal %d",
			 WTERMSIG(st));
	else
		snprintf(what, sizeof(what), "exit %d", WEXITSTATUS(st));
	if (ok && !xfail) {
		t->pass++;
		printf("ok    %s\n", path);
	} else if (ok) {
		t->xpass++;
		printf("XPASS %s: passes now; drop its xfail- prefix\n", path);
	} else if (xfail) {
		t->xfail++;
		printf("XFAIL %s: %s (known bug)\n", path, what);
	} else {
		t->fail++;
		printf("FAIL  %s: %s\n", path, what);
	}
	fflush(stdout);
}

static int
skip_dot(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

int
main(int argc, char **argv)
{
	struct tally t = { 0 };
	unsigned nerr = 0;

	if (argc < 2) {
		fputs("usage: replay DIR|FILE...\n", stderr);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
				strerror(errno));
			nerr++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			const char *base = strrchr(argv[i], '/');
			run_file(argv[i], base ? base + 1 : argv[i], &t);
			continue;
		}
		struct dirent **ents;
		int n = scandir(argv[i], &ents, skip_dot, alphasort);
		if (n < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
				strerror(errno));
			nerr++;
			continue;
		}
		for (int k = 0; k < n; k++) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[i],
				 ents[k]->d_name);
			run_file(path, ents[k]->d_name, &t);
			free(ents[k]);
		}
		free(ents);
	}
	printf("replay: %u passed, %u failed, %u known bugs (xfail), "
	       "%u fixed (xpass)\n",
	       t.pass, t.fail, t.xfail, t.xpass);
	if (nerr || t.fail || t.xpass)
		return 1;
	return t.pass + t.xfail ? 0 : 1;
}
