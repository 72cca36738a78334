#!/bin/bash
# SAPC1 submission entry point, run by the organisers' server as: bash run.sh TEAM_NAME SUBMISSION_PK
# Stages: 0 conda environment, 1 dependencies, 2 inference per test split, 3 the organisers' scoring.
# Written by sapsoup from its template: only the two TO-DO sections were filled in, with the Python
# version and the exact package versions the archive was built and tested with.

stage=0
stop_stage=3

team_name=$1
submission_pk=$2

### TO-DO: specify your python version ###
python_version={{PYTHON_VERSION}}
source ~/.bashrc
source ~/miniconda3/etc/profile.d/conda.sh
PYTHON_ENVIRONMENT=${team_name}

root=/taiga/downloads/${team_name}/${submission_pk}

if [ $stage -le 0 ] && [ $stop_stage -ge 0 ]; then
    echo "Stage 0: conda environment ${PYTHON_ENVIRONMENT} (python ${python_version})"
    if conda info --envs | grep -q "${PYTHON_ENVIRONMENT}"; then
        echo "Reusing the existing environment ${PYTHON_ENVIRONMENT}"
    else
        conda create --name "${PYTHON_ENVIRONMENT}" python="${python_version}" --yes
    fi
fi
conda activate "${PYTHON_ENVIRONMENT}"

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
    echo "Stage 1: dependencies"
    ### TO-DO: add any dependencies needed for model inference ###
{{PIP_INSTALLS}}
fi

if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then
    echo "Stage 2: inference"
    splits='test1 test2'
    output_pth=${root}/inference
    len_test1=7601
    len_test2=8043
    for split in ${splits}; do
        hypo=${output_pth}/${split}.hypo
        expected_lines=len_${split}
        if [ -e "${hypo}" ] && [ "$(wc -l < "${hypo}")" -eq "${!expected_lines}" ]; then
            echo "${hypo} is complete; not running inference again"
        else
            ### TO-DO: change inference.py w.r.t. your model ###
            python ${root}/inference.py \
                --root ${root} \
                --split ${split} \
                --output-name ${hypo}
        fi
    done
    conda deactivate
fi

if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
    echo "Stage 3: scoring"
    conda activate evaluate
    python3 /taiga/utils/evaluate.py \
        --submission-team-name ${team_name} \
        --submission-pk ${submission_pk}
    conda deactivate
fi
