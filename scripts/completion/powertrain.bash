# bash completion for powertrain (installed as
# share/bash-completion/completions/powertrain). Keep in step with --help.

_powertrain() {
  local cur prev words cword
  if declare -F _init_completion >/dev/null; then
    _init_completion || return
  else
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
  fi

  local subcommands="devices track export report synth data sweep status merge search train"
  local sensor_opts="--interval --sensors --pue --cpu-tdp --rapl-root --hwmon-root --nvml-library"
  local gpu_opts="--gpus --cuda-library"

  # The subcommand (and its second level) is the first non-option word.
  local cmd="" sub="" sub2="" i track_at=0
  local track_value_opts="interval|sensors|pue|cpu-tdp|rapl-root|hwmon-root|nvml-library|db"
  track_value_opts+="|epoch-regex|epoch-at|kill-after|db-timeout|gpus|cuda-library"
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      -*) ;;
      *)
        if [[ -z $cmd ]]; then
          cmd=${words[i]}
        elif [[ -z $sub && ($cmd == synth || $cmd == data) ]]; then
          sub=${words[i]}
        elif [[ -z $sub2 && $cmd == data && $sub == check ]]; then
          sub2=${words[i]}
        fi
        ;;
    esac
    # After track's command starts (at `--`, or at the first word that is
    # not an option's value), complete the command's own arguments.
    if [[ $cmd == track && $track_at -eq 0 ]]; then
      track_at=$i
    elif [[ $cmd == track ]]; then
      if [[ ${words[i]} == -- ]] ||
        [[ ${words[i]} != -* && ! ${words[i - 1]} =~ ^--($track_value_opts)$ ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
        return
      fi
    fi
  done

  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "$subcommands --help --version" -- "$cur"))
    return
  fi

  # Option values.
  case $prev in
    --sensors) COMPREPLY=($(compgen -W "auto nvml rapl powermetrics model" -- "$cur")); return ;;
    --format) COMPREPLY=($(compgen -W "text md csv json html" -- "$cur")); return ;;
    --order) COMPREPLY=($(compgen -W "random fixed" -- "$cur")); return ;;
    --optimizer) COMPREPLY=($(compgen -W "sgd adam" -- "$cur")); return ;;
    --epoch-at) COMPREPLY=($(compgen -W "start end" -- "$cur")); return ;;
    --device) COMPREPLY=($(compgen -W "cpu cuda cuda:0 cuda:1 mps" -- "$cur")); return ;;
    --task)
      COMPREPLY=($(compgen -W "pamap2 pamap2-autoencoder pamap2-classifier celeba-identity \
        celeba-attributes celeba-multitask celeba-attributes-full" -- "$cur"))
      return
      ;;
    --out | --data | --rapl-root | --hwmon-root | --vega-dir)
      COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --db | --fork | --samples | --epochs | --encoder | --encoder-out | --checkpoint-out | \
      --nvml-library | --cuda-library)
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --interval | --pue | --cpu-tdp | --probe | --gpus | --epoch-regex | --kill-after | --db-timeout | --run | \
      --country | --intensity | --car-g-per-km | --target-tolerance | --shard | --max-runs | \
      --order-seed | --batch-size | --lr | --alpha | --momentum | --weight-decay | \
      --max-epochs | --patience | --min-delta | --seed | --threads | --minutes | --subjects | \
      --identities | --images-per-identity | --width | --height | --quality | --slurm-tasks | \
      --slurm-partition | --slurm-time | --slurm-gpus-per-task | --slurm-account | \
      --slurm-option | --slurm-poll-s)
      return ;;
  esac

  local opts="" files=f
  case $cmd in
    devices) opts="$sensor_opts $gpu_opts --probe" ; files="" ;;
    track)
      opts="$sensor_opts $gpu_opts --db --epoch-regex --epoch-at --no-unbuffer --kill-after --db-timeout --"
      if [[ $cur != -* ]]; then
        COMPREPLY=($(compgen -c -- "$cur") $(compgen -f -- "$cur"))
        return
      fi
      ;;
    export) opts="--samples --epochs --run" ;;
    report)
      opts="--format --out --country --intensity --car-g-per-km --target-tolerance --vega-dir" ;;
    sweep)
      opts="--db --data --shard --retry-failed --dry-run --takeover --max-runs --order \
        --order-seed --fork --slurm --slurm-wait --slurm-tasks --slurm-partition --slurm-time \
        --slurm-gpus-per-task --slurm-account --slurm-option --slurm-poll-s" ;;
    status) opts="--db --shard" ;;
    merge) opts="" ;;
    search) opts="--target --db --data --first-epochs --eta --shard --max-runs --takeover --show" ;;
    train)
      opts="$sensor_opts --task --data --encoder --freeze --encoder-out --checkpoint-out --alpha \
        --batch-size --lr --optimizer --momentum --weight-decay --max-epochs --patience \
        --min-delta --seed --threads --device --window-length --window-stride --downsample \
        --image-size --identities --max-images --generated-train --generated-val \
        --generated-test --loader-threads --conv-channels --conv-kernels --dropout \
        --hidden-units --db --quiet"
      files="" ;;
    synth)
      if [[ -z $sub ]]; then
        COMPREPLY=($(compgen -W "pamap2 celeba" -- "$cur")); return
      fi
      files=""
      case $sub in
        pamap2) opts="--out --subjects --minutes --optional-minutes --activities --seed" ;;
        celeba) opts="--out --identities --images-per-identity --width --height --quality --seed" ;;
      esac
      ;;
    data)
      if [[ -z $sub ]]; then
        COMPREPLY=($(compgen -W "check" -- "$cur")); return
      fi
      if [[ -z $sub2 ]]; then
        COMPREPLY=($(compgen -W "pamap2 celeba" -- "$cur")); return
      fi
      COMPREPLY=($(compgen -d -- "$cur")); return
      ;;
    *) return ;;
  esac

  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "--help $opts" -- "$cur"))
  elif [[ -n $files ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}

complete -o filenames -o bashdefault -F _powertrain powertrain
