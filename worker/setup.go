package worker

import (
	"context"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/worker/registers"
)

// Setup is what a wash uses besides its input: the loaded registers and
// each stage's options. One Setup serves many runs; a worker process loads
// each register version once and shares it.
type Setup struct {
	Registers *registers.Set // nil: no registers folder given
	Suppress  SuppressOptions
}

// perRun is the per-run instance of a Setup's stages.
type perRun struct {
	suppress *SuppressStage
}

// stages builds the stages that follow parse: suppression (when registers
// are loaded) and the decision.
func (s *Setup) stages(env Env, _ formats.Mapping, rs *perRun) ([]Stage, error) {
	var out []Stage
	if s.Registers != nil {
		sup, err := NewSuppressStage(s.Registers, env, s.Suppress)
		if err != nil {
			return nil, err
		}
		rs.suppress = sup
		out = append(out, sup)
	}
	out = append(out, NewDecideStage())
	return out, nil
}

// registerInfo lists every known register, used or not, for the scorecard
// and the manifest.
func (s *Setup) registerInfo() []RegisterInfo {
	var out []RegisterInfo
	if s.Registers == nil {
		for _, n := range registers.Names {
			out = append(out, RegisterInfo{Name: n})
		}
		return out
	}
	for _, i := range s.Registers.Versions() {
		out = append(out, RegisterInfo{Name: i.Name, Used: i.Used, Version: i.Version, Entries: int64(i.Entries)})
	}
	return out
}

// notes say in words what a reader of the scorecard must know about how
// the rows were judged (registers not used are listed in Registers).
func (s *Setup) notes() []string {
	return nil
}

func (rs *perRun) validUntil() string {
	if rs.suppress == nil {
		return ""
	}
	return rs.suppress.EarliestValidUntil()
}

func (rs *perRun) afterCommit(context.Context) error { return nil }
