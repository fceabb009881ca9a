// SPDX-License-Identifier: LGPL-2.1-or-later
/* vshmem-bench: result tables and targets, printed as text or JSON. */

#include "bench.h"

/* ------------------------------------------------------------------ */
/* result tables: printed as text or as JSON                           */


#define MAX_TABLES 16
static struct table *tables[MAX_TABLES];
static unsigned int ntables;

struct table *table_new(const char *key, const char *title,
			       const struct col *cols, unsigned int ncols)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t || ntables == MAX_TABLES || ncols > MAX_COLS)
		die(-ENOMEM, "table");
	t->key = key;
	t->title = title;
	t->cols = cols;
	t->ncols = ncols;
	tables[ntables++] = t;
	return t;
}

const struct table *table_find(const char *key)
{
	for (unsigned int i = 0; i < ntables; i++)
		if (!strcmp(tables[i]->key, key))
			return tables[i];
	return NULL;
}

/* Append a row; values in column order: double for numbers (NAN = n/a),
 * const char * for C_STR columns (NULL = n/a). */
void table_row(struct table *t, ...)
{
	struct cell *row;
	va_list ap;

	if (t->nrows == MAX_ROWS)
		die(-E2BIG, "table %s", t->key);
	row = t->rows[t->nrows++];
	va_start(ap, t);
	for (unsigned int c = 0; c < t->ncols; c++) {
		if (t->cols[c].type == C_STR) {
			const char *s = va_arg(ap, const char *);

			row[c].na = !s;
			snprintf(row[c].s, sizeof(row[c].s), "%s", s ? s : "");
		} else {
			row[c].v = va_arg(ap, double);
			row[c].na = isnan(row[c].v);
		}
	}
	va_end(ap);
}

static void fmt_cell(const struct col *col, const struct cell *c, char *buf,
		     size_t len)
{
	double v = c->v;

	if (c->na) {
		snprintf(buf, len, "n/a");
		return;
	}
	switch (col->type) {
	case C_SIZE:
		size_str((uint64_t)v, buf, len);
		break;
	case C_TIME:
		if (v < 1e3)
			snprintf(buf, len, "%.0f ns", v);
		else if (v < 1e6)
			snprintf(buf, len, "%.1f us", v / 1e3);
		else if (v < 1e9)
			snprintf(buf, len, "%.2f ms", v / 1e6);
		else
			snprintf(buf, len, "%.2f s", v / 1e9);
		break;
	case C_RATIO:
		snprintf(buf, len, v < 10 ? "%.2fx" : "%.1fx", v);
		break;
	case C_COUNT:	/* per-offer averages may have a fraction */
		snprintf(buf, len, v == floor(v) || fabs(v) >= 100 ? "%.0f" : "%.2f", v);
		break;
	case C_RATE:
		snprintf(buf, len, "%.0f/s", v);
		break;
	case C_PCT:
		snprintf(buf, len, "%+.1f%%", v);
		break;
	case C_STR:
		snprintf(buf, len, "%s", c->s);
		break;
	}
}

static void table_print(FILE *f, const struct table *t)
{
	unsigned int w[MAX_COLS];
	char buf[96];

	for (unsigned int c = 0; c < t->ncols; c++) {
		w[c] = strlen(t->cols[c].head);
		for (unsigned int r = 0; r < t->nrows; r++) {
			fmt_cell(&t->cols[c], &t->rows[r][c], buf, sizeof(buf));
			if (strlen(buf) > w[c])
				w[c] = strlen(buf);
		}
	}
	fprintf(f, "\n%s\n", t->title);
	for (unsigned int c = 0; c < t->ncols; c++)
		fprintf(f, c ? "  %*s" : "%-*s", (int)w[c], t->cols[c].head);
	fputc('\n', f);
	for (unsigned int c = 0; c < t->ncols; c++) {
		fprintf(f, c ? "  " : "");
		for (unsigned int i = 0; i < w[c]; i++)
			fputc('-', f);
	}
	fputc('\n', f);
	for (unsigned int r = 0; r < t->nrows; r++) {
		for (unsigned int c = 0; c < t->ncols; c++) {
			fmt_cell(&t->cols[c], &t->rows[r][c], buf, sizeof(buf));
			fprintf(f, c ? "  %*s" : "%-*s", (int)w[c], buf);
		}
		fputc('\n', f);
	}
	if (t->note)
		fprintf(f, "%s\n", t->note);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.6g", v);
}

/* ------------------------------------------------------------------ */
/* targets                                                             */


#define MAX_TARGETS 12
static struct target targets[MAX_TARGETS];
static unsigned int ntargets;

struct target *target_add(const char *name, const char *goal)
{
	struct target *t = &targets[ntargets < MAX_TARGETS ? ntargets++ : 0];

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->goal, sizeof(t->goal), "%s", goal);
	t->status = "n/a";
	return t;
}

/* ------------------------------------------------------------------ */
/* output                                                              */

void print_text(FILE *f)
{
	fprintf(f, "vshmem-bench %s (libvshmem)\n", vshmem_version());
	fprintf(f, "kernel: %s; %ld CPU(s): %s; memory %s\n", machine.kernel,
		machine.cpus, machine.cpu, machine.mem);
	fprintf(f, "heaps: %s; kernel counters: %s\n", machine.heaps,
		machine.counters);
	for (unsigned int i = 0; i < ntables; i++)
		table_print(f, tables[i]);
	if (ntargets) {
		fprintf(f, "\nTargets\n");
		for (unsigned int i = 0; i < ntargets; i++) {
			const struct target *g = &targets[i];

			fprintf(f, "  %-7s %-38s %-22s %s%s%s\n",
				!strcmp(g->status, "n/a") ? "n/a" : g->status,
				g->name, g->goal,
				g->measured[0] ? g->measured : "-",
				g->why[0] ? "; " : "", g->why);
		}
	}
}

void print_json(FILE *f)
{
	fprintf(f, "{\n  \"tool\": \"vshmem-bench\",\n  \"version\": ");
	json_str(f, vshmem_version());
	fprintf(f, ",\n  \"icount\": %s,\n  \"machine\": {\"kernel\": ",
		opt.icount ? "true" : "false");
	json_str(f, machine.kernel);
	fprintf(f, ", \"cpus\": %ld, \"cpu\": ", machine.cpus);
	json_str(f, machine.cpu);
	fprintf(f, ", \"memory\": ");
	json_str(f, machine.mem);
	fprintf(f, ", \"heaps\": ");
	json_str(f, machine.heaps);
	fprintf(f, ", \"counters\": ");
	json_str(f, machine.counters);
	fprintf(f, "},\n  \"options\": {\"min_size\": %" PRIu64
		", \"max_size\": %" PRIu64 ", \"scatter_size\": %" PRIu64
		", \"max_outstanding\": %u, \"min_time\": %g, \"min_reps\": %u"
		", \"max_reps\": %u, \"window\": %u},\n  \"tables\": {",
		opt.min_size, opt.max_size, opt.scatter_size,
		opt.max_outstanding, opt.min_time, opt.min_reps, opt.max_reps,
		opt.window);
	for (unsigned int i = 0; i < ntables; i++) {
		const struct table *t = tables[i];

		fprintf(f, "%s\n    ", i ? "," : "");
		json_str(f, t->key);
		fprintf(f, ": {\"title\": ");
		json_str(f, t->title);
		fprintf(f, ", \"note\": ");
		if (t->note)
			json_str(f, t->note);
		else
			fputs("null", f);
		fprintf(f, ", \"rows\": [");
		for (unsigned int r = 0; r < t->nrows; r++) {
			fprintf(f, "%s\n      {", r ? "," : "");
			for (unsigned int c = 0; c < t->ncols; c++) {
				const struct cell *cell = &t->rows[r][c];

				fprintf(f, "%s", c ? ", " : "");
				json_str(f, t->cols[c].key);
				fputs(": ", f);
				if (cell->na)
					fputs("null", f);
				else if (t->cols[c].type == C_STR)
					json_str(f, cell->s);
				else
					json_num(f, cell->v);
			}
			fputc('}', f);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "\n  },\n  \"targets\": [");
	for (unsigned int i = 0; i < ntargets; i++) {
		const struct target *g = &targets[i];

		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		json_str(f, g->name);
		fprintf(f, ", \"goal\": ");
		json_str(f, g->goal);
		fprintf(f, ", \"measured\": ");
		json_str(f, g->measured);
		fprintf(f, ", \"status\": ");
		json_str(f, g->status);
		fprintf(f, ", \"why\": ");
		json_str(f, g->why);
		fputc('}', f);
	}
	fprintf(f, "\n  ]\n}\n");
}

