// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rte_vhost glue. DPDK's vhost library (22.11) serves the vhost-user
 * socket: it negotiates features, maps the guest memory table and the
 * rings, and tells us when the device starts and stops. Its virtqueue code
 * is for virtio-net; for vsock we take the rings raw
 * (rte_vhost_get_vhost_vring(), rte_vhost_get_mem_table()) and run them in
 * vring.c. Three things it does not do for a vsock device, done here:
 *  - VHOST_USER_GET_CONFIG: rte_vhost answers it only for vDPA devices, but
 *    QEMU's vhost-user-vsock asks for the guest CID with it when the device
 *    is realized; a pre-message handler (rte_vhost_extern_callback_register,
 *    installed per connection from new_connection) answers it.
 *  - the feature bits: vsock's, set with rte_vhost_driver_set_features()
 *    (which also turns off the built-in virtio-net).
 *  - threads: rte_vhost calls new_device/destroy_device from its own
 *    thread; the event loop applies them (vuv_vhost_event()), and
 *    destroy_device waits until the loop has let go of the rings, because
 *    rte_vhost unmaps them when it returns.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_vhost.h>

#include "vuv.h"

#define VIRTIO_F_VERSION_1_		32
#define VHOST_USER_F_PROTOCOL_FEATURES_	30
#define VHOST_USER_PROTOCOL_F_REPLY_ACK_ 3
#define VHOST_USER_PROTOCOL_F_CONFIG_	9
#define VHOST_USER_GET_CONFIG_		24
#define VHOST_USER_SET_CONFIG_		25

/* The start of a vhost-user message as the vhost-user spec lays it out
 * (what rte_vhost hands a pre-message handler). */
struct vu_config_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	uint32_t offset;	/* GET_CONFIG payload */
	uint32_t cfg_size;
	uint32_t cfg_flags;
	uint8_t region[256];
} __attribute__((packed));

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int evfd;
	int start_vid;		/* -1: no start pending */
	bool stop_pending, stop_done, exiting;
	bool started;		/* the loop runs the device */
	const struct vuv_opts *o;
	bool registered;
} vh = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.evfd = -1,
	.start_vid = -1,
};

static void kick_loop(void)
{
	if (eventfd_write(vh.evfd, 1) < 0)
		vuv_err("eventfd_write: %s", strerror(errno));
}

static enum rte_vhost_msg_result pre_msg(int vid, void *msg)
{
	struct vu_config_msg *m = msg;
	uint8_t cfg[8];
	uint64_t cid = vh.o->guest_cid;
	unsigned int i;

	(void)vid;
	switch (m->request) {
	case VHOST_USER_GET_CONFIG_:
		/* struct virtio_vsock_config { le64 guest_cid; } */
		for (i = 0; i < sizeof(cfg); i++)
			cfg[i] = cid >> (8 * i);
		if (m->size < 12 || m->cfg_size > sizeof(m->region) ||
		    m->size != 12 + m->cfg_size) {
			vuv_err("GET_CONFIG: bad size %u/%u", m->size,
				m->cfg_size);
			return RTE_VHOST_MSG_RESULT_ERR;
		}
		memset(m->region, 0, m->cfg_size);
		for (i = 0; i < m->cfg_size; i++)
			if (m->offset + i < sizeof(cfg))
				m->region[i] = cfg[m->offset + i];
		vuv_info("vhost-user: GET_CONFIG: guest CID %llu",
			 (unsigned long long)cid);
		return RTE_VHOST_MSG_RESULT_REPLY;
	case VHOST_USER_SET_CONFIG_:
		/* the guest CID is the backend's to choose */
		return RTE_VHOST_MSG_RESULT_ERR;
	default:
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	}
}

static const struct rte_vhost_user_extern_ops extern_ops = {
	.pre_msg_handle = pre_msg,
};

static int new_connection(int vid)
{
	vuv_info("vhost-user: front-end connected (vid %d)", vid);
	if (rte_vhost_extern_callback_register(vid, &extern_ops, NULL)) {
		vuv_err("rte_vhost_extern_callback_register failed");
		return -1;
	}
	return 0;
}

static void destroy_connection(int vid)
{
	vuv_info("vhost-user: front-end disconnected (vid %d)", vid);
}

static int new_device(int vid)
{
	pthread_mutex_lock(&vh.lock);
	vh.start_vid = vid;
	pthread_mutex_unlock(&vh.lock);
	kick_loop();
	return 0;
}

/* rte_vhost calls new_device once the rings it knows of are ready, which
 * may be before the front end set up the second one: a queue that becomes
 * ready later starts the device then. */
static int vring_state_changed(int vid, uint16_t queue_id, int enable)
{
	(void)queue_id;
	if (!enable)
		return 0;
	pthread_mutex_lock(&vh.lock);
	if (!vh.started)
		vh.start_vid = vid;
	pthread_mutex_unlock(&vh.lock);
	kick_loop();
	return 0;
}

static void destroy_device(int vid)
{
	pthread_mutex_lock(&vh.lock);
	if (vh.start_vid == vid) {
		/* the loop never took it */
		vh.start_vid = -1;
	} else if (!vh.exiting) {
		vh.stop_pending = true;
		vh.stop_done = false;
		kick_loop();
		while (!vh.stop_done && !vh.exiting)
			pthread_cond_wait(&vh.cond, &vh.lock);
	}
	pthread_mutex_unlock(&vh.lock);
}

static const struct rte_vhost_device_ops dev_ops = {
	.new_device = new_device,
	.destroy_device = destroy_device,
	.vring_state_changed = vring_state_changed,
	.new_connection = new_connection,
	.destroy_connection = destroy_connection,
};

static int first_cpu(void)
{
	cpu_set_t set;
	int i;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set))
				return i;
	return 0;
}

static int eal_init(int verbose)
{
	char lcore[16], level[32];
	char *argv[] = { "vhost-user-vsock", "--no-huge", "--no-pci",
		"--no-shconf", "--no-telemetry", "-m", "64", "-l", lcore,
		level, NULL };

	snprintf(lcore, sizeof(lcore), "%d", first_cpu());
	snprintf(level, sizeof(level), "--log-level=%s",
		 verbose >= 2 ? "info" : "error");
	if (rte_eal_init(sizeof(argv) / sizeof(argv[0]) - 1, argv) < 0) {
		vuv_err("DPDK EAL initialisation failed: %s",
			rte_strerror(rte_errno));
		return -EIO;
	}
	return 0;
}

int vuv_vhost_start(const struct vuv_opts *o, int *evfd)
{
	uint64_t features = (1ULL << VIRTIO_F_VERSION_1_) |
		(1ULL << VHOST_USER_F_PROTOCOL_FEATURES_) |
		(1ULL << VIRTIO_VSOCK_F_SEQPACKET);
	struct stat st;
	int ret;

	vh.o = o;
	if (o->shmem)
		features |= 1ULL << VIRTIO_VSOCK_F_SHMEM;
	/* a socket left by an earlier run is replaced, anything else is not */
	if (lstat(o->socket_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			vuv_err("%s exists and is not a socket", o->socket_path);
			return -EEXIST;
		}
		unlink(o->socket_path);
	}
	vh.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vh.evfd < 0)
		return -errno;
	ret = eal_init(o->verbose);
	if (ret)
		goto err_fd;
	if (rte_vhost_driver_register(o->socket_path, 0)) {
		vuv_err("cannot create the vhost-user socket %s", o->socket_path);
		ret = -EIO;
		goto err_eal;
	}
	vh.registered = true;
	if (rte_vhost_driver_set_features(o->socket_path, features) ||
	    rte_vhost_driver_set_protocol_features(o->socket_path,
			(1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK_) |
			(1ULL << VHOST_USER_PROTOCOL_F_CONFIG_)) ||
	    rte_vhost_driver_callback_register(o->socket_path, &dev_ops) ||
	    rte_vhost_driver_start(o->socket_path)) {
		vuv_err("cannot start the vhost-user driver on %s",
			o->socket_path);
		ret = -EIO;
		goto err_unreg;
	}
	*evfd = vh.evfd;
	return 0;

err_unreg:
	rte_vhost_driver_unregister(o->socket_path);
	vh.registered = false;
err_eal:
	rte_eal_cleanup();
err_fd:
	close(vh.evfd);
	vh.evfd = -1;
	return ret;
}

static int get_mem(struct vuv_dev *d)
{
	struct rte_vhost_memory *m = NULL;
	unsigned int i;

	if (rte_vhost_get_mem_table(d->vid, &m) || !m)
		return -EIO;
	if (m->nregions > VUV_MAX_REGIONS) {
		vuv_err("%u guest memory regions, at most %u are supported",
			m->nregions, VUV_MAX_REGIONS);
		free(m);
		return -E2BIG;
	}
	d->mem.nregions = m->nregions;
	for (i = 0; i < m->nregions; i++) {
		const struct rte_vhost_mem_region *r = &m->regions[i];

		d->mem.r[i] = (struct vuv_region) {
			.gpa = r->guest_phys_addr,
			.size = r->size,
			.hva = (uint8_t *)(uintptr_t)r->host_user_addr,
			.fd = r->fd,
			.fd_offset = r->host_user_addr -
				     (uint64_t)(uintptr_t)r->mmap_addr,
		};
		vuv_info("guest memory: gpa 0x%llx size 0x%llx fd %d offset 0x%llx",
			 (unsigned long long)r->guest_phys_addr,
			 (unsigned long long)r->size, r->fd,
			 (unsigned long long)d->mem.r[i].fd_offset);
	}
	free(m);
	return 0;
}

static int dev_start(struct vuv_dev *d, int vid)
{
	unsigned int q;
	int ret;

	d->vid = vid;
	if (rte_vhost_get_negotiated_features(vid, &d->features))
		return -EIO;
	ret = get_mem(d);
	if (ret)
		return ret;
	for (q = 0; q < 2; q++) {
		struct rte_vhost_vring vr;
		struct vuv_vq *vq = &d->vq[q];

		if (rte_vhost_get_vhost_vring(vid, q, &vr) ||
		    !vr.desc || !vr.avail || !vr.used || !vr.size ||
		    vr.kickfd < 0 ||
		    rte_vhost_get_vring_base(vid, q, &vq->last_avail,
					     &vq->last_used))
			return -EAGAIN;	/* not set up yet */
		vq->idx = q;
		vq->size = vr.size;
		vq->desc = (struct vring_desc_ *)vr.desc;
		vq->avail = (struct vring_avail_ *)vr.avail;
		vq->used = (struct vring_used_ *)vr.used;
		vq->kickfd = vr.kickfd;
	}
	d->guest_cid = vh.o->guest_cid;
	for (q = 0; q < 2; q++) {
		d->kick[q] = (struct vuv_fd){
			.kind = q ? FD_KICK_TX : FD_KICK_RX,
			.fd = d->vq[q].kickfd,
		};
		if (d->kick[q].fd >= 0 && vuv_loop_add(&d->kick[q], EPOLLIN))
			return -EIO;
	}
	d->running = true;
	vuv_info("device started: features 0x%llx (seqpacket %s, shmem %s), queues %u/%u",
		 (unsigned long long)d->features,
		 d->features & (1ULL << VIRTIO_VSOCK_F_SEQPACKET) ? "yes" : "no",
		 d->features & (1ULL << VIRTIO_VSOCK_F_SHMEM) ? "yes" : "no",
		 d->vq[0].size, d->vq[1].size);
	return 0;
}

static void dev_stop(struct vuv_dev *d)
{
	unsigned int q;

	/* before rte_vhost may close them */
	for (q = 0; q < 2; q++)
		vuv_loop_del(&d->kick[q]);
	if (!d->running)
		return;
	d->running = false;
	vuv_conn_reset_all();
	for (q = 0; q < 2; q++)
		rte_vhost_set_vring_base(d->vid, q, d->vq[q].last_avail,
					 d->vq[q].last_used);
	memset(&d->mem, 0, sizeof(d->mem));
	vuv_info("device stopped");
}

int vuv_vhost_event(struct vuv_dev *d)
{
	eventfd_t v;
	int vid, ret = 0;

	if (eventfd_read(vh.evfd, &v) < 0 && errno != EAGAIN)
		return -errno;
	pthread_mutex_lock(&vh.lock);
	vid = vh.start_vid;
	vh.start_vid = -1;
	if (vh.stop_pending) {
		vid = -1;
		vh.started = false;
		dev_stop(d);
		vh.stop_pending = false;
		vh.stop_done = true;
		pthread_cond_broadcast(&vh.cond);
	}
	pthread_mutex_unlock(&vh.lock);
	if (vid >= 0 && !d->running) {
		ret = dev_start(d, vid);
		if (ret == -EAGAIN) {
			vuv_dbg("device: waiting for the front end to set up both queues");
			for (unsigned int q = 0; q < 2; q++)
				vuv_loop_del(&d->kick[q]);
			ret = 0;
		} else if (ret) {
			vuv_err("cannot start the device: %s", strerror(-ret));
			for (unsigned int q = 0; q < 2; q++)
				vuv_loop_del(&d->kick[q]);
			d->running = false;
		} else {
			pthread_mutex_lock(&vh.lock);
			vh.started = true;
			pthread_mutex_unlock(&vh.lock);
		}
	}
	return ret;
}

void vuv_vhost_notify(struct vuv_dev *d, unsigned int q)
{
	if (d->running)
		rte_vhost_vring_call(d->vid, q);
}

void vuv_vhost_stop(void)
{
	pthread_mutex_lock(&vh.lock);
	vh.exiting = true;
	pthread_cond_broadcast(&vh.cond);
	pthread_mutex_unlock(&vh.lock);
	if (vh.registered) {
		rte_vhost_driver_unregister(vh.o->socket_path);
		vh.registered = false;
		unlink(vh.o->socket_path);
	}
	rte_eal_cleanup();
	if (vh.evfd >= 0)
		close(vh.evfd);
	vh.evfd = -1;
}
