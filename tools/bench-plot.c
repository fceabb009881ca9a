// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vshmem-bench: the plot of latency vs size (--plot=PATH), drawn from the
 * run's own sizes table (or, without one, the ffa table) as a plain SVG:
 * log2 sizes against log10 times, one line a way of handing the bytes
 * over. docs/performance.svg and performance-ffa.svg are such plots.
 */

#include "bench.h"

struct series {
	const char *key, *label, *color, *dash;
};

static const struct series sizes_series[] = {
	{ "share_ns", "(a) SHARE offer", "#1f77b4", NULL },
	{ "lend_ns", "(b) LEND offer, lend heap", "#2ca02c", NULL },
	{ "lend_nomap_ns", "(b') LEND offer, lend-nomap", "#ff7f0e", NULL },
	{ "copy_ns", "(c) copy over vsock (send/recv)", "#d62728", NULL },
	{ "memcpy_ns", "(d) memcpy (copy floor)", "#7f7f7f", "6,4" },
};

static const struct series ffa_series[] = {
	{ "share_ns", "SHARE offer via FF-A (system)", "#1f77b4", NULL },
	{ "lend_ns", "LEND offer via FF-A (lend)", "#2ca02c", NULL },
	{ "lend_nomap_ns", "LEND via FF-A (lend-nomap)", "#ff7f0e", NULL },
	{ "copy_ns", "copy over vsock (send/recv)", "#d62728", NULL },
};

/* The frame: width, height and the margins around the plot area. */
enum { W = 760, H = 480, ML = 80, MR = 230, MT = 40, MB = 60 };
#define PW (W - ML - MR)
#define PH (H - MT - MB)

struct axes {
	double x0, x1;	/* log2 of the sizes */
	int y0, y1;	/* decades of the times */
};

static int col_of(const struct table *t, const char *key)
{
	for (unsigned int c = 0; c < t->ncols; c++)
		if (!strcmp(t->cols[c].key, key))
			return (int)c;
	return -1;
}

/* A value worth a point: measured and positive (a log scale). */
static bool point(const struct table *t, unsigned int r, int c, double *v)
{
	if (c < 0 || t->rows[r][c].na || !(t->rows[r][c].v > 0))
		return false;
	*v = t->rows[r][c].v;
	return true;
}

static double px(const struct axes *a, double size)
{
	return ML + (log2(size) - a->x0) / (a->x1 - a->x0) * PW;
}

static double py(const struct axes *a, double ns)
{
	return MT + PH - (log10(ns) - a->y0) / (a->y1 - a->y0) * PH;
}

static void time_label(char *buf, size_t len, double ns)
{
	static const struct { const char *unit; double div; } u[] = {
		{ "s", 1e9 }, { "ms", 1e6 }, { "µs", 1e3 },
	};

	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (ns >= u[i].div) {
			snprintf(buf, len, "%g %s", ns / u[i].div, u[i].unit);
			return;
		}
	snprintf(buf, len, "%g ns", ns);
}

/* The axes that hold every size and every point of the series. */
static int find_axes(const struct table *t, int size_col,
		     const struct series *s, size_t ns, struct axes *a)
{
	double smin = INFINITY, smax = 0, vmin = INFINITY, vmax = 0, v;

	for (unsigned int r = 0; r < t->nrows; r++) {
		if (!point(t, r, size_col, &v))
			continue;
		smin = fmin(smin, v);
		smax = fmax(smax, v);
		for (size_t i = 0; i < ns; i++)
			if (point(t, r, col_of(t, s[i].key), &v)) {
				vmin = fmin(vmin, v);
				vmax = fmax(vmax, v);
			}
	}
	if (!(smax > 0) || !(vmax > 0))
		return -ENODATA;
	a->x0 = log2(smin);
	a->x1 = log2(smax) > a->x0 ? log2(smax) : a->x0 + 1;
	a->y0 = (int)floor(log10(vmin));
	a->y1 = (int)ceil(log10(vmax));
	if (a->y1 == a->y0)
		a->y1 = a->y0 + 1;
	return 0;
}

static void draw_grid(FILE *f, const struct table *t, int size_col,
		      const struct axes *a)
{
	char label[32];
	double v;

	for (int e = a->y0; e <= a->y1; e++) {
		double y = py(a, pow(10, e));

		time_label(label, sizeof(label), pow(10, e));
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
			ML, y, ML + PW, y);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			ML - 6, y + 4, label);
	}
	for (unsigned int r = 0; r < t->nrows; r++) {
		double x;

		if (!point(t, r, size_col, &v))
			continue;
		x = px(a, v);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>\n",
			x, MT, x, MT + PH);
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
			x, MT + PH + 18, size_str((uint64_t)v, label, sizeof(label)));
	}
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"black\"/>\n",
		ML, MT, PW, PH);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">buffer size</text>\n",
		ML + PW / 2, H - 15);
}

/* text as SVG character data */
static void xml_text(FILE *f, const char *text)
{
	for (; *text; text++) {
		switch (*text) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		default: fputc(*text, f);
		}
	}
}

/* One series: its line, its points and its entry in the legend. */
static void draw_series(FILE *f, const struct table *t, int size_col,
			const struct axes *a, const struct series *s, int slot)
{
	int c = col_of(t, s->key), ly = MT + 10 + slot * 22;
	char dash[40] = "";
	double sz, v;
	bool any = false;

	if (s->dash)
		snprintf(dash, sizeof(dash), " stroke-dasharray=\"%s\"", s->dash);
	for (unsigned int r = 0; r < t->nrows; r++)
		if (point(t, r, size_col, &sz) && point(t, r, c, &v)) {
			fprintf(f, "%s%.1f,%.1f", any ? " " : "<polyline points=\"",
				px(a, sz), py(a, v));
			any = true;
		}
	if (!any)
		return;
	fprintf(f, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s/>\n",
		s->color, dash);
	for (unsigned int r = 0; r < t->nrows; r++)
		if (point(t, r, size_col, &sz) && point(t, r, c, &v))
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
				px(a, sz), py(a, v), s->color);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>\n",
		ML + PW + 12, ly, ML + PW + 36, ly, s->color, dash);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>\n",
		ML + PW + 42, ly + 4, s->label);
}

int print_svg(FILE *f)
{
	const struct table *t = table_find("sizes");
	const struct series *s = sizes_series;
	size_t ns = sizeof(sizes_series) / sizeof(sizes_series[0]);
	const char *title =
		"vshmem-bench: time to hand SIZE bytes to the peer (median, log-log)";
	struct axes a;
	int size_col, ret;

	if (!t || !t->nrows) {
		t = table_find("ffa");
		s = ffa_series;
		ns = sizeof(ffa_series) / sizeof(ffa_series[0]);
		title = "vshmem-bench, real FF-A (TF-A + OP-TEE): hand SIZE bytes over (median)";
	}
	if (!t || !t->nrows)
		return -ENODATA;
	size_col = col_of(t, "size");
	ret = find_axes(t, size_col, s, ns, &a);
	if (ret < 0)
		return ret;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
		W, H, W, H);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H);
	fprintf(f, "<text x=\"%d\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">%s</text>\n",
		ML + PW / 2, title);
	draw_grid(f, t, size_col, &a);
	for (size_t i = 0; i < ns; i++)
		draw_series(f, t, size_col, &a, &s[i], (int)i);
	/* which machine: the kernel's release can be anything */
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#555\">",
		ML + PW + 12, MT + 10 + (int)ns * 22 + 12);
	xml_text(f, machine.kernel);
	fprintf(f, ", %ld CPU(s), ", machine.cpus);
	xml_text(f, machine.mem);
	fprintf(f, "</text>\n");
	fprintf(f, "</svg>\n");
	return ferror(f) ? -EIO : 0;
}
