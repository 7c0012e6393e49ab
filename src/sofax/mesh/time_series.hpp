// Simulation output over time: one ParaView .vtu per frame plus a .pvd collection that lists
// them with their times (open the .pvd in ParaView to scrub through the run), optionally an OBJ
// of the surface per frame (Blender, Houdini). Every file is written under a temporary name in
// the same folder and renamed into place once complete, so a crash or Ctrl-C never leaves a
// half-written file under a final name and the .pvd only ever lists complete frames.
//
//   #include <sofax/mesh/time_series.hpp>
//   sofax::mesh::Mesh beam = sofax::mesh::tet_box({1.0, 0.1, 0.1}, {20, 2, 2});
//   sofax::mesh::TimeSeriesWriter out("run", "beam", {.write_obj = true});
//   const sofax::mesh::VtuCells cells = sofax::mesh::VtuCells::from_mesh(beam);
//   sofax::mesh::Positions x = beam.vertex_positions;
//   for (int step = 0; step < 100; ++step) {
//     x.col(2).array() -= 0.001;                     // the simulator's step
//     out.write_frame(0.01 * step, x, cells);         // run/beam_000000.vtu (+ .obj), ...
//   }                                                 // run/beam.pvd lists all 100
//
// Renames are atomic on POSIX filesystems: a reader sees the old file or the new one whole.
// Files are not fsync'ed, so this guards against the process dying, not against power loss.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sofax/mesh/boundary.hpp"
#include "sofax/mesh/io.hpp"
#include "sofax/mesh/mesh.hpp"

namespace sofax::mesh {

// Writes `content` to `path` atomically: to "<path>.tmp" first, renamed onto `path` when
// complete; the temporary is removed when anything fails. InputError naming the path.
void write_file_atomic(const std::string& path, const std::string& content);

// A further dataset of a frame (what the simulated bodies touch: colliders, say), written as
// <base>_<name>_<NNNNNN>.vtu and listed in the .pvd beside the frame as part 1, 2, ... (ParaView
// shows the parts of a time step as blocks of one dataset). `name`: letters, digits, '_', '-'.
struct FramePart {
  std::string name;
  Positions positions;      // (nvertex × 3)
  VtuCells cells;
  PointFields point_fields;
};

struct TimeSeriesOptions {
  bool write_obj = false;  // also <base>_<NNNNNN>.obj: triangles + boundary faces of the tets
};

class TimeSeriesWriter {
 public:
  // Creates `folder` (and its parents) when missing, removes stale temporaries of an earlier,
  // interrupted run with the same base name, and writes an empty <base>.pvd. InputError naming
  // the path when the folder cannot be created or written, or for a base name that is empty or
  // holds a path separator.
  TimeSeriesWriter(std::string folder, std::string base_name, TimeSeriesOptions options = {});

  // Frame number frame_count(): <base>_<NNNNNN>.vtu of `cells` at `positions` (nvertex × 3),
  // then <base>.pvd rewritten to list every frame so far. `time` must be finite and above the
  // previous frame's. On any InputError (bad fields, time, write failure) nothing of this frame
  // is left behind and the series stays as it was. `parts` are written with the frame and listed
  // beside it (FramePart).
  void write_frame(double time, const Positions& positions, const VtuCells& cells,
                   const PointFields& point_fields = {}, const CellFields& cell_fields = {},
                   const std::vector<FramePart>& parts = {});
  // All of the mesh's cells (VtuCells::from_mesh) at mesh.vertex_positions.
  void write_frame(double time, const Mesh& mesh, const PointFields& point_fields = {},
                   const CellFields& cell_fields = {});

  int frame_count() const { return static_cast<int>(frames_.size()); }
  const std::string& folder() const { return folder_; }
  std::string pvd_path() const;
  // <folder>/<base>_<NNNNNN>.<extension> ("vtu" or "obj"), six digits or more.
  std::string frame_path(int frame, const std::string& extension = "vtu") const;

 private:
  std::string frame_name(int frame, const std::string& extension) const;
  void write_pvd() const;

  std::string folder_;
  std::string base_;
  TimeSeriesOptions options_;
  struct Frame {
    double time;
    std::vector<std::string> files;  // the frame's VTU, then its parts'
  };
  std::vector<Frame> frames_;  // complete frames
  // The last tets seen by an OBJ frame and their boundary (recomputed when the content changes).
  Indices<4> obj_tets_;
  Indices<3> obj_boundary_;
};

}  // namespace sofax::mesh
