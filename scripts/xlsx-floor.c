/*
 * The floor under keyaudit's report.xlsx: what libxlsxwriter alone, called from C with no Swift, no JSON and no
 * audit, costs for the workbook. Two modes. BENCHMARKS.md quotes both; keyaudit-bench runs both (`make bench`
 * builds this file). It is a measuring instrument, not part of keyaudit.
 *
 *   cc -O2 scripts/xlsx-floor.c $(pkg-config --cflags --libs xlsxwriter) -o /tmp/xlsx-floor
 *
 * The exact floor (issue 15's "workbook of the same shape"): the very cells of a report.xlsx keyaudit wrote.
 *
 *   python3 scripts/xlsx-cells.py out/latest/report.xlsx /tmp/cells.bin     # dump its cells (format: that file)
 *   /tmp/xlsx-floor --cells /tmp/cells.bin /tmp/floor.xlsx                   # prints "floor-seconds 4.123"
 *   python3 scripts/xlsx-cells.py /tmp/floor.xlsx /tmp/floor.bin && cmp /tmp/cells.bin /tmp/floor.bin
 *
 *   The dump is read and parsed before the clock starts; the seconds printed run from workbook_new_opt to
 *   workbook_close (CLOCK_MONOTONIC). Same sheets in the same order with the same names, same cells (strings,
 *   numbers, booleans, blanks that carry a format) written row by row in each sheet, same number format per
 *   cell, and keyaudit's workbook options (constant memory, ZIP64, temporary files beside the output). Styling
 *   is approximated: one lxw_format per distinct number-format code, no fonts, fills, borders or alignment (a
 *   few hundred bytes of styles.xml; each cell still carries a style index). Left out as small against 270,000
 *   rows: column widths, freeze panes, autofilters, conditional formats, print setup and footers, document
 *   properties. keyaudit writes its sheets interleaved (a temporary file each); this writes them one after the
 *   other, which libxlsxwriter's constant-memory mode treats alike.
 *
 * The synthetic floor (the first one; kept so that earlier figures stay comparable): a workbook generated in the
 * loop, shaped like report.xlsx was at issue 8: a Findings sheet of 170,000 rows x 9 cells and a Keys sheet of
 * 100,000 rows x 25 cells at 100,000 keys, one hash on every row, strings, money, dates and booleans, constant
 * memory. It is smaller than today's report.xlsx (15.7 MB against 38.6 MB at 100,000 keys; 2 sheets against 7).
 *
 *   /usr/bin/time -v /tmp/xlsx-floor /tmp/xlsx-floor.xlsx
 *   KEYS_ONLY=1 /usr/bin/time -v /tmp/xlsx-floor /tmp/xlsx-floor.xlsx     # the Keys sheet alone
 *   /tmp/xlsx-floor /tmp/xlsx-floor.xlsx 300000                           # another size (1.7 findings per key)
 */
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xlsxwriter.h>

/* One cell of the dump (scripts/xlsx-cells.py): strings point into the dump, which keeps their NUL. */
struct cell {
    uint32_t row;
    uint16_t column;
    char type; /* s n b k */
    uint32_t format;
    union {
        const char *text;
        double number;
        uint8_t boolean;
    } value;
};

struct sheet {
    const char *name;
    size_t first, count;
};

struct dump {
    char *bytes;
    size_t size, at;
    const char **formats; /* [0] is General: no format */
    size_t formatCount;
    struct sheet *sheets;
    size_t sheetCount;
    struct cell *cells;
    size_t cellCount;
};

static void fail(const char *path, const char *why) {
    fprintf(stderr, "xlsx-floor: error: %s: %s\n", path, why);
    exit(65);
}

static void need(struct dump *dump, size_t count, const char *path) {
    if (dump->size - dump->at < count) fail(path, "the dump ends early; write it again with scripts/xlsx-cells.py");
}

static uint32_t u32(struct dump *dump, const char *path) {
    uint32_t value;
    need(dump, 4, path);
    memcpy(&value, dump->bytes + dump->at, 4);
    dump->at += 4;
    return value;
}

static const char *text(struct dump *dump, const char *path) {
    uint32_t length = u32(dump, path);
    need(dump, (size_t)length + 1, path);
    const char *start = dump->bytes + dump->at;
    if (start[length] != 0) fail(path, "a string is not NUL-terminated");
    dump->at += (size_t)length + 1;
    return start;
}

static void *grow(void *array, size_t *capacity, size_t count, size_t size) {
    if (count < *capacity) return array;
    *capacity = *capacity ? *capacity * 2 : 1024;
    array = realloc(array, *capacity * size);
    if (!array) {
        perror("xlsx-floor");
        exit(71);
    }
    return array;
}

/* Reads and parses the whole dump before anything is timed. */
static struct dump load(const char *path) {
    struct dump dump = {0};
    FILE *file = fopen(path, "rb");
    if (!file) fail(path, "cannot open the dump");
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    dump.bytes = malloc(size > 0 ? (size_t)size : 1);
    if (size <= 0 || !dump.bytes || fread(dump.bytes, 1, (size_t)size, file) != (size_t)size) fail(path, "cannot read");
    fclose(file);
    dump.size = (size_t)size;
    if (dump.size < 11 || memcmp(dump.bytes, "XLSXCELLS1\n", 11) != 0) fail(path, "not a dump of scripts/xlsx-cells.py");
    dump.at = 11;
    size_t formatCapacity = 0, sheetCapacity = 0, cellCapacity = 0;
    dump.formats = grow(NULL, &formatCapacity, 0, sizeof *dump.formats);
    dump.formats[dump.formatCount++] = "General";
    for (;;) {
        need(&dump, 1, path);
        char type = dump.bytes[dump.at++];
        if (type == 'E') break;
        if (type == 'N') {
            dump.formats = grow(dump.formats, &formatCapacity, dump.formatCount, sizeof *dump.formats);
            dump.formats[dump.formatCount++] = text(&dump, path);
        } else if (type == 'S') {
            dump.sheets = grow(dump.sheets, &sheetCapacity, dump.sheetCount, sizeof *dump.sheets);
            dump.sheets[dump.sheetCount++] = (struct sheet){.name = text(&dump, path), .first = dump.cellCount};
        } else if (type && strchr("snbk", type)) {
            if (dump.sheetCount == 0) fail(path, "a cell before the first sheet");
            dump.cells = grow(dump.cells, &cellCapacity, dump.cellCount, sizeof *dump.cells);
            struct cell *cell = &dump.cells[dump.cellCount++];
            cell->type = type;
            cell->row = u32(&dump, path);
            need(&dump, 2, path);
            memcpy(&cell->column, dump.bytes + dump.at, 2);
            dump.at += 2;
            cell->format = u32(&dump, path);
            if (cell->format >= dump.formatCount) fail(path, "a cell names a format not defined before it");
            if (type == 's') {
                cell->value.text = text(&dump, path);
            } else if (type == 'n') {
                need(&dump, 8, path);
                memcpy(&cell->value.number, dump.bytes + dump.at, 8);
                dump.at += 8;
            } else if (type == 'b') {
                need(&dump, 1, path);
                cell->value.boolean = (uint8_t)dump.bytes[dump.at++];
            }
            dump.sheets[dump.sheetCount - 1].count++;
        } else {
            fail(path, "unknown record");
        }
    }
    return dump;
}

static double seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* The exact floor: writes the dump's cells to `path` and prints the seconds libxlsxwriter took. */
static int exactFloor(const char *dumpPath, const char *path) {
    struct dump dump = load(dumpPath);
    char *directoryCopy = strdup(path);
    char *tmpdir = dirname(directoryCopy); /* keyaudit's tmpdir: the output file's directory */
    lxw_format **formats = calloc(dump.formatCount, sizeof *formats);
    lxw_worksheet **worksheets = calloc(dump.sheetCount ? dump.sheetCount : 1, sizeof *worksheets);
    if (!directoryCopy || !formats || !worksheets) return 71;

    double start = seconds();
    lxw_workbook_options options = {.constant_memory = 1, .tmpdir = tmpdir, .use_zip64 = 1};
    lxw_workbook *workbook = workbook_new_opt(path, &options);
    if (!workbook) return 73;
    /* A blank cell is only written for its format; General blanks get a format with no properties. */
    lxw_format *blank = workbook_add_format(workbook);
    for (size_t index = 1; index < dump.formatCount; index++) {
        formats[index] = workbook_add_format(workbook);
        format_set_num_format(formats[index], dump.formats[index]);
    }
    for (size_t index = 0; index < dump.sheetCount; index++) {
        worksheets[index] = workbook_add_worksheet(workbook, dump.sheets[index].name);
        if (!worksheets[index]) return 65;
    }
    for (size_t index = 0; index < dump.sheetCount; index++) {
        lxw_worksheet *worksheet = worksheets[index];
        const struct cell *cell = dump.cells + dump.sheets[index].first;
        const struct cell *end = cell + dump.sheets[index].count;
        for (; cell < end; cell++) {
            lxw_format *format = formats[cell->format];
            lxw_error error = LXW_NO_ERROR;
            switch (cell->type) {
            case 's': error = worksheet_write_string(worksheet, cell->row, cell->column, cell->value.text, format); break;
            case 'n': error = worksheet_write_number(worksheet, cell->row, cell->column, cell->value.number, format); break;
            case 'b': error = worksheet_write_boolean(worksheet, cell->row, cell->column, cell->value.boolean, format); break;
            case 'k': error = worksheet_write_blank(worksheet, cell->row, cell->column, format ? format : blank); break;
            }
            if (error != LXW_NO_ERROR) {
                fprintf(stderr, "xlsx-floor: error: %s row %u column %u: %s\n", dump.sheets[index].name,
                        (unsigned)cell->row, (unsigned)cell->column, lxw_strerror(error));
                return 65;
            }
        }
    }
    lxw_error closed = workbook_close(workbook);
    double elapsed = seconds() - start;
    if (closed != LXW_NO_ERROR) {
        fprintf(stderr, "xlsx-floor: error: %s: %s\n", path, lxw_strerror(closed));
        return 73;
    }
    printf("floor-seconds %.3f\n", elapsed);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--cells") == 0) {
        if (argc != 4) {
            fprintf(stderr, "usage: xlsx-floor --cells DUMP OUT.xlsx | xlsx-floor [OUT.xlsx [KEYS]]\n");
            return 64;
        }
        return exactFloor(argv[2], argv[3]);
    }
    const char *path = argc > 1 ? argv[1] : "xlsx-floor.xlsx";
    int keyCount = argc > 2 ? atoi(argv[2]) : 100000;
    if (keyCount <= 0 || keyCount > 10000000) return 2;
    lxw_workbook_options options = {.constant_memory = 1, .tmpdir = NULL, .use_zip64 = 1};
    lxw_workbook *workbook = workbook_new_opt(path, &options);
    if (!workbook) return 1;
    lxw_format *money = workbook_add_format(workbook);
    format_set_num_format(money, "$#,##0.00");
    lxw_format *date = workbook_add_format(workbook);
    format_set_num_format(date, "yyyy-mm-dd hh:mm:ss");
    char text[200];

    lxw_worksheet *findings = workbook_add_worksheet(workbook, "Findings");
    int findingRows = getenv("KEYS_ONLY") ? 0 : keyCount / 10 * 17;
    for (int row = 0; row < findingRows; row++) {
        worksheet_write_string(findings, row, 0, "medium", NULL);
        worksheet_write_string(findings, row, 1, "stale-key", NULL);
        snprintf(text, sizeof text, "growth-prod-%d", row);
        worksheet_write_string(findings, row, 2, text, NULL);
        worksheet_write_string(findings, row, 3, "3e0e09c84da7fc381b2d858a8f3c5a20d6360eab7e331a045da01dd6c7957dd1", NULL);
        worksheet_write_string(findings, row, 4, "Default", NULL);
        snprintf(text, sizeof text,
                 "not reviewed or rotated for %d days (updated_at 2025-02-20T22:44:27Z); the policy allows 90",
                 row % 700);
        worksheet_write_string(findings, row, 5, text, NULL);
        worksheet_write_string(findings, row, 6, "persisting", NULL);
        worksheet_write_number(findings, row, 7, 46000.5 + row * 0.001, date);
        worksheet_write_boolean(findings, row, 8, 0, NULL);
    }

    lxw_worksheet *keys = workbook_add_worksheet(workbook, "Keys");
    for (int row = 0; row < keyCount; row++) {
        snprintf(text, sizeof text, "growth-prod-%d", row);
        worksheet_write_string(keys, row, 0, text, NULL);
        worksheet_write_string(keys, row, 1, "3e0e09c84da7fc381b2d858a8f3c5a20d6360eab7e331a045da01dd6c7957dd1", NULL);
        worksheet_write_string(keys, row, 2, "sk-or-v1-3e0...dd1", NULL);
        worksheet_write_string(keys, row, 3, "Default", NULL);
        worksheet_write_string(keys, row, 4, "0febc8de-0000-4000-8000-000000000000", NULL);
        worksheet_write_boolean(keys, row, 5, 0, NULL);
        for (int column = 6; column < 18; column++)
            worksheet_write_number(keys, row, column, (row * 7 + column) % 1000 / 7.0, money);
        for (int column = 18; column < 22; column++)
            worksheet_write_number(keys, row, column, 46000.5 + row * 0.001, date);
        worksheet_write_string(keys, row, 22, "user_c81e728d9d4c2f636f067f89", NULL);
        worksheet_write_number(keys, row, 24, 2, NULL);
    }
    return workbook_close(workbook) == LXW_NO_ERROR ? 0 : 1;
}
