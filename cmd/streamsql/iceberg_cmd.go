package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	ice "github.com/apache/iceberg-go"

	"github.com/streamsql/streamsql/connectors/iceberg"
)

// icebergCmd runs the table maintenance commands:
//
//	streamsql iceberg compact NS.TABLE [--warehouse DIR | --catalog URI] [--target-size 128MB] [--partition COL=VALUE]
//	streamsql iceberg expire-snapshots NS.TABLE [--warehouse DIR | --catalog URI] [--older-than 168h] [--retain-last 1]
//	streamsql iceberg remove-orphans NS.TABLE [--warehouse DIR | --catalog URI] [--older-than 72h] [--dry-run] [--force]
func icebergCmd(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usagef("iceberg wants a subcommand: compact, expire-snapshots or remove-orphans")
	}
	switch args[0] {
	case "compact":
		return icebergCompact(args[1:], stdout)
	case "expire-snapshots":
		return icebergExpire(args[1:], stdout)
	case "remove-orphans":
		return icebergRemoveOrphans(args[1:], stdout)
	default:
		return usagef("iceberg: unknown subcommand %q (want compact, expire-snapshots or remove-orphans)", args[0])
	}
}

func icebergCompact(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("iceberg compact", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("warehouse", iceberg.DefaultWarehouse, "the warehouse directory")
	uri := fs.String("catalog", "", "an Iceberg REST catalog instead of --warehouse: r2://ACCOUNT/BUCKET or an http(s) URI")
	size := fs.String("target-size", "128MB", "the size of the files written (KB, MB, GB are powers of 1024)")
	partition := fs.String("partition", "", "compact only the files holding rows with COL=VALUE (a partition source column)")
	name, err := parseTableArgs(fs, args)
	if err != nil {
		return err
	}
	target, err := parseByteSize(*size)
	if err != nil {
		return usagef("iceberg compact: --target-size: %v", err)
	}
	opts := iceberg.CompactOptions{TargetFileBytes: target}
	if *partition != "" {
		col, val, ok := strings.Cut(*partition, "=")
		if !ok || col == "" {
			return usagef("iceberg compact: --partition wants COL=VALUE, got %q", *partition)
		}
		opts.Filter = ice.EqualTo(ice.Reference(col), val)
	}
	w, err := openMaintained(fs, *dir, *uri)
	if err != nil {
		return err
	}
	defer w.Close()
	res, err := w.Compact(context.Background(), name, opts)
	if err != nil {
		return err
	}
	if res.Groups == 0 {
		fmt.Fprintf(stdout, "%s: nothing to compact (no partition has two files under %d bytes)\n", name, target*3/4)
		return nil
	}
	fmt.Fprintf(stdout, "%s: replaced %d data files (%d bytes) with %d (%d bytes) in %d partition groups, snapshot %d\n",
		name, res.FilesRemoved, res.BytesBefore, res.FilesAdded, res.BytesAfter, res.Groups, res.SnapshotID)
	return nil
}

func icebergExpire(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("iceberg expire-snapshots", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("warehouse", iceberg.DefaultWarehouse, "the warehouse directory")
	uri := fs.String("catalog", "", "an Iceberg REST catalog instead of --warehouse: r2://ACCOUNT/BUCKET or an http(s) URI")
	olderThan := fs.Duration("older-than", 168*time.Hour, "expire snapshots older than this")
	retainLast := fs.Int("retain-last", 1, "always keep this many newest snapshots")
	name, err := parseTableArgs(fs, args)
	if err != nil {
		return err
	}
	if *retainLast < 1 {
		return usagef("iceberg expire-snapshots: --retain-last must be at least 1, got %d", *retainLast)
	}
	if *olderThan < 0 {
		return usagef("iceberg expire-snapshots: --older-than must not be negative, got %s", *olderThan)
	}
	w, err := openMaintained(fs, *dir, *uri)
	if err != nil {
		return err
	}
	defer w.Close()
	res, err := w.ExpireSnapshots(context.Background(), name, *olderThan, *retainLast)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: expired %d snapshots, %d retained", name, res.Removed, res.Retained)
	if len(res.Tags) > 0 {
		fmt.Fprintf(stdout, " (tagged each job's last epoch: %s)", strings.Join(res.Tags, ", "))
	}
	fmt.Fprintln(stdout)
	return nil
}

func icebergRemoveOrphans(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("iceberg remove-orphans", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("warehouse", iceberg.DefaultWarehouse, "the warehouse directory")
	uri := fs.String("catalog", "", "an Iceberg REST catalog instead of --warehouse: r2://ACCOUNT/BUCKET or an http(s) URI")
	olderThan := fs.Duration("older-than", iceberg.DefaultOrphanAge, "remove only orphan files older than this")
	dryRun := fs.Bool("dry-run", false, "list the orphan files without removing them")
	force := fs.Bool("force", false, "allow --older-than under 24h (only for tables no job is writing)")
	name, err := parseTableArgs(fs, args)
	if err != nil {
		return err
	}
	if *olderThan < 0 {
		return usagef("iceberg remove-orphans: --older-than must not be negative, got %s", *olderThan)
	}
	if *olderThan < iceberg.MinOrphanAge && !*force {
		return usagef("iceberg remove-orphans: --older-than %s is under %s, and younger files may belong to an epoch "+
			"a running or stopped job has yet to commit (add --force if no job writes the table)", *olderThan, iceberg.MinOrphanAge)
	}
	w, err := openMaintained(fs, *dir, *uri)
	if err != nil {
		return err
	}
	defer w.Close()
	res, err := w.RemoveOrphans(context.Background(), name, iceberg.OrphanOptions{OlderThan: *olderThan, DryRun: *dryRun, Force: *force})
	if err != nil {
		return err
	}
	if *dryRun {
		fmt.Fprintf(stdout, "%s: would remove %d orphan files (%d bytes)\n", name, len(res.Files), res.Bytes)
		for _, f := range res.Files {
			fmt.Fprintln(stdout, f)
		}
		return nil
	}
	fmt.Fprintf(stdout, "%s: removed %d orphan files (%d bytes)\n", name, res.Deleted, res.Bytes)
	return nil
}

// openMaintained opens the warehouse a maintenance command works on: the
// REST catalog uri when given (then --warehouse must not be), else the
// local warehouse dir.
func openMaintained(fs *flag.FlagSet, dir, uri string) (*iceberg.Warehouse, error) {
	if uri == "" {
		return iceberg.OpenWarehouse(dir)
	}
	explicitDir := false
	fs.Visit(func(f *flag.Flag) { explicitDir = explicitDir || f.Name == "warehouse" })
	if explicitDir {
		return nil, exclusiveTableSource()
	}
	return openCatalog(context.Background(), uri)
}

// parseTableArgs parses fs's flags, before or after the one NS.TABLE
// argument, and returns the table name.
func parseTableArgs(fs *flag.FlagSet, args []string) (string, error) {
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", usagef("%s: %v", fs.Name(), err)
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(names) != 1 {
		return "", usagef("%s wants one NAMESPACE.TABLE, got %d arguments", fs.Name(), len(names))
	}
	if i := strings.LastIndexByte(names[0], '.'); i <= 0 || i == len(names[0])-1 {
		return "", usagef("%s wants NAMESPACE.TABLE, got %q", fs.Name(), names[0])
	}
	return names[0], nil
}

// parseByteSize parses a size such as 134217728, 512KB, 128MB or 1GB
// (powers of 1024; a trailing "iB" is accepted too).
func parseByteSize(s string) (int64, error) {
	upper := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if rest, ok := strings.CutSuffix(upper, u.suffix); ok {
			upper, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(upper, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a positive size such as 128MB, got %q", s)
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n * mult, nil
}
