// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vhost-user-vsock: the command line and the event loop (see vuv.h for
 * the files and docs/vhost-user-vsock.1 for the usage).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cli.h"
#include "vuv.h"

const struct vuv_opts *vuv_opt;
struct vuv_stats vuv_stats;
static int epfd = -1;
static struct vuv_dev dev;

void vuv_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > (vuv_opt ? vuv_opt->verbose : 0))
		return;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int vuv_loop_add(struct vuv_fd *f, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = f };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, f->fd, &ev)) {
		vuv_err("epoll_ctl(ADD): %s", strerror(errno));
		return -errno;
	}
	f->events = events;
	f->added = true;
	return 0;
}

int vuv_loop_mod(struct vuv_fd *f, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = f };

	if (!f->added)
		return vuv_loop_add(f, events);
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, f->fd, &ev)) {
		vuv_err("epoll_ctl(MOD): %s", strerror(errno));
		return -errno;
	}
	f->events = events;
	return 0;
}

void vuv_loop_del(struct vuv_fd *f)
{
	if (!f->added)
		return;
	epoll_ctl(epfd, EPOLL_CTL_DEL, f->fd, NULL);
	f->added = false;
}

/*
 * Signals: whichever thread gets one (DPDK starts its own), a handler
 * notes it and wakes the loop through an eventfd.
 */
static volatile sig_atomic_t sig_quit, sig_stats;
static int sig_evfd = -1;

static void on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGUSR1)
		sig_stats = 1;
	else
		sig_quit = 1;
	eventfd_write(sig_evfd, 1);
	errno = saved;
}

static int setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int sigs[] = { SIGINT, SIGTERM, SIGUSR1 };

	sig_evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sig_evfd < 0)
		return -errno;
	sigemptyset(&sa.sa_mask);
	for (unsigned int i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -errno;
	signal(SIGPIPE, SIG_IGN);
	return sig_evfd;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s --socket PATH --uds-path PATH [options]\n"
"The device side of virtio-vsock for QEMU's vhost-user-vsock-pci: carries\n"
"the guest's vsock connections to host programs over Unix sockets.\n"
"\n"
"  --socket PATH     the vhost-user socket QEMU's chardev connects to\n"
"  --uds-path PATH   host programs reach guest port P through PATH\n"
"                    (SOCK_STREAM) or PATH.seqpacket (SOCK_SEQPACKET) with\n"
"                    \"CONNECT P\\n\"; guest connections to host port P go to\n"
"                    the Unix socket PATH_P\n"
"  --guest-cid N     the guest's CID (default 3; at least 3)\n"
"  --no-shmem        do not offer VIRTIO_VSOCK_F_SHMEM (feature bit 3)\n"
"  --inject-hostile  for tests only: a framed host program may have any\n"
"                    OP_SHMEM payload sent to the guest (INJECT frames)\n"
"  -v, --verbose     say more (twice: every connection, DPDK's messages)\n"
"  -h, --help        show this help and exit\n"
"  -V, --version     show the version and exit\n"
"\n"
"Runs until SIGINT or SIGTERM. Exit status: 0 success, 1 error, 2 usage error.\n",
		prog);
}

static int parse_args(int argc, char **argv, struct vuv_opts *o)
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "uds-path", required_argument, NULL, 'U' },
		{ "guest-cid", required_argument, NULL, 'C' },
		{ "no-shmem", no_argument, NULL, 'N' },
		{ "inject-hostile", no_argument, NULL, 'I' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "vhV", lopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			o->socket_path = optarg;
			break;
		case 'U':
			o->uds_path = optarg;
			break;
		case 'C':
			if (cli_opt_u64("--guest-cid", optarg, 3, UINT32_MAX - 1, &v))
				return cli_usage_error();
			o->guest_cid = v;
			break;
		case 'N':
			o->shmem = false;
			break;
		case 'I':
			o->inject = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case 'V':
			printf("%s %s\n", prog, VUV_VERSION);
			exit(EXIT_OK);
		default:
			return cli_usage_error();
		}
	}
	if (optind < argc) {
		error(0, "unexpected argument '%s'", argv[optind]);
		return cli_usage_error();
	}
	if (!o->socket_path || !o->uds_path) {
		error(0, "%s is required", !o->socket_path ? "--socket" : "--uds-path");
		return cli_usage_error();
	}
	return 0;
}

static void handle_kick(struct vuv_fd *f)
{
	struct vuv_vq *vq = &dev.vq[f->kind == FD_KICK_TX];
	struct vuv_chain ch;
	struct vsock_hdr h;
	eventfd_t v;
	unsigned int done = 0;
	int r;

	if (eventfd_read(f->fd, &v) < 0 && errno != EAGAIN)
		vuv_err("kick: %s", strerror(errno));
	if (!dev.running)
		return;
	if (f->kind == FD_KICK_RX) {
		vuv_conn_flush();
		return;
	}
	while (dev.running && (r = vuv_vq_pop(vq, &dev.mem, &ch)) != 0) {
		if (r < 0) {
			done++;
			continue;
		}
		if (vuv_chain_read(&ch, 0, &h, sizeof(h)) != sizeof(h)) {
			vuv_stats.bad_pkts++;
		} else {
			vuv_conn_rx_packet(&h, &ch);
		}
		vuv_vq_push(vq, ch.head, 0);
		done++;
	}
	if (done)
		vuv_vhost_notify(&dev, 1);
	vuv_conn_flush();
}

/* The device started: the guest may have queued packets already. */
static void device_changed(void)
{
	if (dev.running)
		handle_kick(&dev.kick[1]);
}

static void print_stats(void)
{
	vuv_info("packets in %llu out %llu, bytes in %llu out %llu, RST sent %llu, bad packets %llu, overruns %llu, offers %llu, bad descriptors %llu, connections %u",
		 (unsigned long long)vuv_stats.pkts_in,
		 (unsigned long long)vuv_stats.pkts_out,
		 (unsigned long long)vuv_stats.bytes_in,
		 (unsigned long long)vuv_stats.bytes_out,
		 (unsigned long long)vuv_stats.rst_sent,
		 (unsigned long long)vuv_stats.bad_pkts,
		 (unsigned long long)vuv_stats.overruns,
		 (unsigned long long)vuv_stats.shmem_ok,
		 (unsigned long long)vuv_stats.shmem_bad, vuv_conn_count());
}

int main(int argc, char **argv)
{
	struct vuv_opts o = { .guest_cid = 3, .shmem = true };
	struct vuv_fd evf = { .kind = FD_EVENT }, sigf = { .kind = FD_SIGNAL };
	struct epoll_event evs[64];
	int ret, n, i, evfd;
	bool quit = false;

	prog = "vhost-user-vsock";
	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	vuv_opt = &o;

	sigf.fd = setup_signals();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sigf.fd < 0 || epfd < 0) {
		error(errno, "eventfd/epoll");
		return EXIT_ERROR;
	}
	vuv_conn_init(&dev);
	ret = vuv_uds_start(o.uds_path);
	if (ret)
		return EXIT_ERROR;
	ret = vuv_vhost_start(&o, &evfd);
	if (ret) {
		vuv_uds_stop();
		return EXIT_ERROR;
	}
	evf.fd = evfd;
	if (vuv_loop_add(&evf, EPOLLIN) || vuv_loop_add(&sigf, EPOLLIN)) {
		ret = EXIT_ERROR;
		goto out;
	}
	vuv_info("listening: vhost-user %s, host programs %s (and %s.seqpacket), guest CID %llu%s",
		 o.socket_path, o.uds_path, o.uds_path,
		 (unsigned long long)o.guest_cid,
		 o.shmem ? "" : ", no VIRTIO_VSOCK_F_SHMEM");

	while (!quit) {
		n = epoll_wait(epfd, evs, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error(errno, "epoll_wait");
			ret = EXIT_ERROR;
			break;
		}
		for (i = 0; i < n && !quit; i++) {
			struct vuv_fd *f = evs[i].data.ptr;
			bool was = dev.running;
			eventfd_t v;

			switch (f->kind) {
			case FD_EVENT:
				vuv_vhost_event(&dev);
				if (!was && dev.running)
					device_changed();
				/* the event may have closed fds of this batch */
				n = 0;
				break;
			case FD_SIGNAL:
				eventfd_read(sigf.fd, &v);
				if (sig_stats) {
					sig_stats = 0;
					print_stats();
				}
				quit = sig_quit;
				break;
			case FD_KICK_RX:
			case FD_KICK_TX:
				handle_kick(f);
				/* connections may have gone */
				n = 0;
				break;
			case FD_LISTEN:
			case FD_HELLO:
				vuv_uds_event(f, evs[i].events);
				n = 0;
				break;
			case FD_CONN:
				vuv_conn_uds_event(f->owner, evs[i].events);
				n = 0;
				break;
			}
		}
	}
	ret = ret == EXIT_ERROR ? ret : EXIT_OK;
out:
	if (dev.running) {
		dev.running = false;
		vuv_conn_reset_all();
	}
	print_stats();
	vuv_loop_del(&evf);
	vuv_vhost_stop();
	vuv_uds_stop();
	close(sigf.fd);
	close(epfd);
	return ret;
}
