// `powertrain synth pamap2|celeba --out DIR`: writes generated datasets in the
// exact raw formats, so that everything runs without the real data.
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "commands.h"
#include "powertrain/data/synth.h"

namespace powertrain::cli {

void add_synth_command(CLI::App& app) {
  CLI::App* synth = app.add_subcommand("synth", "Generate PAMAP2 or CelebA data in the real file formats");
  synth->require_subcommand(1);

  auto pamap2 = std::make_shared<Pamap2SynthOptions>();
  auto pamap2_out = std::make_shared<std::string>();
  CLI::App* p = synth->add_subcommand("pamap2", "Write Protocol/subject1NN.dat files (54 columns, 100 Hz)");
  p->add_option("--out", *pamap2_out, "Output folder")->required();
  p->add_option("--subjects", pamap2->subjects, "Subject ids (default 101..109)")->delimiter(',');
  p->add_option("--minutes", pamap2->minutes, "Protocol minutes per subject (62.7 gives ~376k rows)")
      ->capture_default_str();
  p->add_option("--optional-minutes", pamap2->optional_minutes,
                "Also write Optional/ files of this many minutes (0 = none)")
      ->capture_default_str();
  p->add_option("--activities", pamap2->activities, "Activity ids to cycle through")->delimiter(',');
  p->add_option("--seed", pamap2->seed, "Random seed")->capture_default_str();
  p->callback([pamap2, pamap2_out] {
    synth_pamap2(*pamap2_out, *pamap2);
    std::printf("wrote PAMAP2: %zu subjects x %.1f min (%lld rows each) to %s\n", pamap2->subjects.size(),
                pamap2->minutes, static_cast<long long>(pamap2->minutes * 6000 + 0.5), pamap2_out->c_str());
  });

  auto celeba = std::make_shared<CelebaSynthOptions>();
  auto celeba_out = std::make_shared<std::string>();
  CLI::App* c = synth->add_subcommand("celeba", "Write img_align_celeba/*.jpg and the three annotation files");
  c->add_option("--out", *celeba_out, "Output folder")->required();
  c->add_option("--identities", celeba->identities, "Number of identities")->capture_default_str();
  c->add_option("--images-per-identity", celeba->images_per_identity,
                "Images per identity (varies by a few)")->capture_default_str();
  c->add_option("--width", celeba->width, "Image width")->capture_default_str();
  c->add_option("--height", celeba->height, "Image height")->capture_default_str();
  c->add_option("--quality", celeba->jpeg_quality, "JPEG quality")->capture_default_str();
  c->add_option("--seed", celeba->seed, "Random seed")->capture_default_str();
  c->callback([celeba, celeba_out] {
    synth_celeba(*celeba_out, *celeba);
    std::printf("wrote CelebA: %d identities x ~%d images (%dx%d) to %s\n", celeba->identities,
                celeba->images_per_identity, celeba->width, celeba->height, celeba_out->c_str());
  });
}

}  // namespace powertrain::cli
