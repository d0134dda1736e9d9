package exec

import (
	"context"
	"fmt"
	"strconv"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/operators"
)

// streamQueue is how many messages an edge between goroutines buffers
// before its producer waits (backpressure).
const streamQueue = 8

// producer is a node whose output feeds one edge group.
type producer interface{ setOut(p port) }

// nodeBase is what every node with an inbox has.
type nodeBase struct {
	job  *Job
	name string // the stage's name, for errors and metrics
	key  string // stable path in the tree ("r.0.1"), plus "#k" for an instance
	in   *inbox
	out  port
	// own: in Run mode the node reads its edges on a goroutine of its own
	// (a scan, a partitioned instance, a node with several edges); else it
	// runs on its producer's goroutine (chained).
	own   bool
	chans []chan message // Run mode, own: one per edge
	// tickers are the Ticker instances that run on this node's goroutine
	// in Run mode (itself and the nodes chained after it), upstream first.
	tickers []*opNode
}

func (n *nodeBase) setOut(p port) { n.out = p }

// edgeGroup connects the producers of a stage's output to the instances
// of its parent: producer j feeds edge offset+j of every instance,
// through a partitionPort hashing keys when there are several.
type edgeGroup struct {
	producers []producer
	consumers []*nodeBase
	offset    int
	keys      []int
}

// build walks the plan, making its nodes and opening streams and
// operators; the root's output feeds the sink.
func (j *Job) build(ctx context.Context) error {
	prods, err := j.buildStage(ctx, j.root, "r")
	if err != nil {
		return err
	}
	j.sink.name, j.sink.key = "sink", "sink"
	j.sink.in = newInbox(j.sink, make([]int, len(prods)), 1, false)
	j.sink.own = len(prods) > 1
	j.edges = append(j.edges, edgeGroup{producers: prods, consumers: []*nodeBase{&j.sink.nodeBase}})
	return nil
}

func (j *Job) buildStage(ctx context.Context, s *operators.Stage, path string) ([]producer, error) {
	switch {
	case s.Stream != nil:
		if s.Op != nil || s.Source != nil || len(s.Inputs) > 0 {
			return nil, fmt.Errorf("building stage %s: a stream scan has no operator, source or inputs", s.Name)
		}
		sc, err := j.openScan(ctx, s, path)
		if err != nil {
			return nil, err
		}
		if s == j.root {
			j.topScan = sc
		}
		return []producer{sc}, nil
	case s.Source != nil:
		if s.Op != nil || len(s.Inputs) > 0 {
			return nil, fmt.Errorf("building stage %s: a source has no operator or inputs", s.Name)
		}
		src := &sourceNode{job: j, name: s.Name, src: s.Source}
		j.sources = append(j.sources, src)
		return []producer{src}, nil
	case len(s.Inputs) == 0:
		return nil, fmt.Errorf("building stage %s: an operator stage without inputs", s.Name)
	}
	n := 1
	if len(s.KeyCols) > 0 && j.opts.Parallelism > 1 {
		n = j.opts.Parallelism
		if len(s.KeyCols) != len(s.Inputs) {
			return nil, fmt.Errorf("building stage %s: %d key column lists for %d inputs", s.Name, len(s.KeyCols), len(s.Inputs))
		}
	}
	childProds := make([][]producer, len(s.Inputs))
	for i, in := range s.Inputs {
		p, err := j.buildStage(ctx, in, path+"."+strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		childProds[i] = p
	}
	var inputOf []int
	offsets := make([]int, len(s.Inputs))
	for i := range s.Inputs {
		offsets[i] = len(inputOf)
		for range childProds[i] {
			inputOf = append(inputOf, i)
		}
	}
	boundedFirst := len(s.Inputs) > 1 && !hasStream(s.Inputs[0])
	instances := make([]*opNode, n)
	for k := range instances {
		op := s.Op
		if n > 1 || op == nil {
			if s.NewOp == nil {
				return nil, fmt.Errorf("building stage %s: no NewOp to make its instances", s.Name)
			}
			var err error
			if op, err = s.NewOp(); err != nil {
				return nil, fmt.Errorf("building stage %s: %w", s.Name, err)
			}
		}
		node := newOpNode(j, s, op, path, k)
		node.in = newInbox(node, inputOf, len(s.Inputs), boundedFirst)
		node.own = n > 1 || len(inputOf) > 1
		j.ops = append(j.ops, node)
		if err := node.open(ctx); err != nil {
			return nil, err
		}
		instances[k] = node
	}
	if s == j.root {
		j.top = instances
	}
	consumers := make([]*nodeBase, n)
	prods := make([]producer, n)
	for k, node := range instances {
		consumers[k], prods[k] = &node.nodeBase, node
	}
	for i := range s.Inputs {
		g := edgeGroup{producers: childProds[i], consumers: consumers, offset: offsets[i]}
		if n > 1 {
			g.keys = s.KeyCols[i]
		}
		j.edges = append(j.edges, g)
	}
	return prods, nil
}

// openScan opens the splits of a stream leaf.
func (j *Job) openScan(ctx context.Context, s *operators.Stage, path string) (*scanNode, error) {
	st := s.Stream
	name := st.Name
	if name == "" {
		name = s.Name
	}
	if st.Table == nil {
		return nil, fmt.Errorf("opening stream %s: no table", name)
	}
	sc := &scanNode{nodeBase: nodeBase{job: j, name: name, key: path, own: true}, scan: st}
	sc.wm.Store(noWatermark)
	j.scans = append(j.scans, sc)
	readers, err := st.Table.OpenStream(ctx, catalog.StreamRequest{
		Columns: st.Columns, Alloc: j.opts.Alloc, BatchRows: j.opts.BatchRows,
		Linger: j.opts.Linger, DeadLetter: j.deadLetterRaw(sc),
	})
	if err != nil {
		return nil, fmt.Errorf("opening stream %s: %w", name, err)
	}
	seen := map[string]bool{}
	for i, r := range readers {
		sp := newSplit(sc, r, i)
		j.splits = append(j.splits, sp)
		sc.splits = append(sc.splits, sp)
		if seen[sp.id] {
			return nil, fmt.Errorf("opening stream %s: two splits named %q", name, sp.id)
		}
		seen[sp.id] = true
	}
	sc.in = newInbox(sc, make([]int, len(readers)), 1, false)
	return sc, nil
}

func hasStream(s *operators.Stage) bool {
	if s.Stream != nil {
		return true
	}
	for _, in := range s.Inputs {
		if hasStream(in) {
			return true
		}
	}
	return false
}

// wire connects every edge for the given mode: direct calls in Poll mode
// and between chained nodes, bounded channels into nodes that run on
// their own goroutine in Run mode.
func (j *Job) wire(mode jobMode) {
	for _, g := range j.edges {
		for pj, p := range g.producers {
			ports := make([]port, len(g.consumers))
			for k, c := range g.consumers {
				ports[k] = portTo(mode, c, g.offset+pj)
			}
			if len(ports) == 1 {
				p.setOut(ports[0])
			} else {
				p.setOut(newPartitionPort(j.opts.Alloc, g.keys, ports))
			}
		}
	}
	for _, s := range j.splits {
		s.out = portTo(mode, &s.scan.nodeBase, s.sub)
		if pp, ok := s.scan.out.(*partitionPort); ok {
			s.pre = pp.partitioner()
		}
	}
}

func portTo(mode jobMode, c *nodeBase, sub int) port {
	if mode == modePoll || !c.own {
		return directPort{in: c.in, sub: sub}
	}
	if c.chans == nil {
		c.chans = make([]chan message, len(c.in.subs))
		for i := range c.chans {
			c.chans[i] = make(chan message, streamQueue)
		}
	}
	return chanPort(c.chans[sub])
}
